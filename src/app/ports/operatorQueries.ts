import type { Escrow } from '../../domain/index.js';

// The operator's read side (`escrow stuck|show|settlements|queues`, GET /api/admin/escrows/stuck, …) and the one
// repair of `escrow rebuild`. Amounts are digit strings, times ISO-8601: what the CLI and the admin API print.

/** Why an escrow is past its expected next step. */
export const STUCK_REASONS = [
  'PAYMENT_DEADLINE_PASSED',
  'CONFIRMATION_DEADLINE_PASSED',
  'HELD_OVER_7_DAYS',
  'SETTLEMENT_PENDING',
  'SETTLEMENT_FAILED',
  'DISPUTE_SLA_PASSED',
] as const;
export type StuckReason = (typeof STUCK_REASONS)[number];

export interface StuckFilter {
  now: Date;
  /** Only those stuck at least this long (since their oldest reason). */
  olderThanHours: number;
  minAmount: bigint | null;
  currency: string | null;
  /** Only seed 001's "high-value stuck": funds held for more than 7 days. */
  highValue: boolean;
  /** A PENDING settlement counts once it is older than this. */
  settlementMinutes: number;
  limit: number;
}

export interface StuckEscrow {
  escrowId: string;
  status: string;
  rail: string;
  currency: string;
  amount: string;
  createdAt: string;
  reasons: StuckReason[];
  /** When the oldest reason began (the deadline passed, the settlement was created or failed). */
  since: string;
  ageSeconds: number;
  /** Seed 001's "high-value stuck transaction": FUNDS_HELD and created more than 7 days ago. */
  highValue: boolean;
}

export interface SettlementFilter {
  now: Date;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED' | null;
  escrowId: string | null;
  limit: number;
}

export interface SettlementEntry {
  settlementId: string;
  escrowId: string;
  rail: string;
  kind: string;
  amount: string;
  currency: string;
  status: string;
  attempts: number;
  failures: number;
  round: number;
  waitingFor: string | null;
  lastError: string | null;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
  ageSeconds: number;
}

/** Provider webhooks that named the escrow: metadata only, never their bodies or headers. */
export interface WebhookEntry {
  provider: string;
  eventId: string;
  eventType: string;
  receivedAt: string;
  attempts: number;
  processedAt: string | null;
  outcome: string | null;
  lastError: string | null;
}

export interface OutboxEntry {
  id: string;
  eventId: string;
  sequence: number | null;
  type: string | null;
  createdAt: string;
  publishedAt: string | null;
  attempts: number;
  lastError: string | null;
  deadLetteredAt: string | null;
  skippedAt: string | null;
}

export interface AuditRow {
  id: string;
  actorId: string;
  actorRole: string;
  action: string;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** The raw figures behind `escrow queues`; ages in seconds (0 when nothing waits). */
export interface QueueFigures {
  outbox: { unpublished: number; oldestAgeSeconds: number; deadLetters: number };
  settlements: { byStatus: Record<string, number>; pendingOldestAgeSeconds: number };
  webhooks: { unprocessed: number; failed: number; oldestAgeSeconds: number };
  commands: { pending: number; oldestAgeSeconds: number; idempotencyInFlight: number };
  timeouts: { paymentDue: number; confirmationDue: number; oldestDueAgeSeconds: number };
  disputes: { open: number; overdueResponse: number; overdueSla: number };
  suspense: { open: number };
  /** Outgoing webhooks: messages not yet delivered, events the webhooks role has not fanned out yet, endpoints. */
  outgoing: {
    pending: number;
    oldestAgeSeconds: number;
    notFannedOut: number;
    enabledEndpoints: number;
    disabledEndpoints: number;
  };
}

/** A repair of the escrows row, with its audit row, in one transaction. */
export interface EscrowRowRepair {
  escrow: Escrow;
  /** The events the repair was folded from: refused (EVENTS_CHANGED) if the escrow has more by then. */
  eventCount: number;
  audit: { actor: { id: string; role: string }; reason: string; details: Record<string, unknown> };
}

export interface OperatorQueries {
  stuck(filter: StuckFilter): Promise<StuckEscrow[]>;
  settlements(filter: SettlementFilter): Promise<SettlementEntry[]>;
  webhooksOf(escrowId: string): Promise<WebhookEntry[]>;
  outboxOf(escrowId: string): Promise<OutboxEntry[]>;
  /** Audit rows of the escrow, operator actions naming it in their details included. */
  auditOf(escrowId: string): Promise<AuditRow[]>;
  queueFigures(now: Date): Promise<QueueFigures>;
  /** Rewrites the escrows row (only it: never events, ledger or side tables) from `escrow`, audited; false if gone. */
  repairEscrowRow(repair: EscrowRowRepair): Promise<boolean>;
}
