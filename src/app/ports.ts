import type { DomainEvent, Escrow, LedgerEntry, PaymentInstructions, Rail, SettlementKind } from '../domain/index.js';
import type { CommandEnvelope, CommandRejection, CommandResult, WebhookMark } from './envelope.js';

export interface Clock {
  now(): Date;
}

/** A committed event as stored and published (SPEC §4 event envelope). */
export interface StoredEvent {
  eventId: string;
  type: DomainEvent['type'];
  escrowId: string;
  sequence: number;
  occurredAt: string;
  correlationId: string | null;
  causationId: string | null;
  actor: { id: string; role: string };
  schemaVersion: number;
  commandId: string;
  data: DomainEvent['data'];
}

/** Everything one command writes, committed atomically by EscrowStore.commit. */
export interface CommitRequest {
  envelope: CommandEnvelope;
  /** The handler's clock reading for this attempt. */
  at: string;
  before: Escrow | null;
  after: Escrow;
  events: StoredEvent[];
  postings: LedgerEntry[];
  result: CommandResult;
  webhook: WebhookMark | null;
}

export type CommitOutcome = { duplicate: false } | { duplicate: true; result: CommandResult };

export interface LoadedEscrow {
  escrow: Escrow | null;
  /** The stored result when this command id was already applied. */
  prior: CommandResult | null;
}

export interface EscrowStore {
  /** Loads the aggregate and any prior result of this command id, in one round trip. */
  load(escrowId: string, commandId: string): Promise<LoadedEscrow>;
  /** Writes state, events, ledger, outbox, audit and the command id in one transaction. Throws VersionConflict. */
  commit(req: CommitRequest): Promise<CommitOutcome>;
  /** Records a refusal as the command's outcome, unless the id already has one. */
  recordRejection(env: CommandEnvelope, rejection: CommandRejection, at: string): Promise<void>;
}

export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
}

export interface EscrowFilter {
  status?: string;
  rail?: Rail;
  buyerId?: string;
  sellerId?: string;
  createdFrom?: string;
  createdTo?: string;
  /** Restricts to escrows this user is a party of. */
  partyId?: string;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  actorRole: string;
  action: string;
  commandId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

export interface PaymentTarget {
  id: string;
  rail: Rail;
  reference: string;
  /** What the buyer must pay: amount + buyer fee, minor units. */
  due: bigint;
  /** The escrow's own amount (the sandbox's magic amounts look at it). */
  amount: bigint;
  currency: string;
}

export interface EscrowReadModel {
  getEscrow(escrowId: string): Promise<Escrow | null>;
  listEscrows(filter: EscrowFilter, limit: number, after: { createdAt: string; id: string } | null): Promise<Escrow[]>;
  events(escrowId: string): Promise<StoredEvent[]>;
  ledger(escrowId: string): Promise<(LedgerEntry & { createdAt: string })[]>;
  audit(escrowId: string): Promise<AuditEntry[]>;
  commandResult(commandId: string): Promise<(CommandResult & { actorId: string }) | null>;
  findByPaymentReference(reference: string): Promise<PaymentTarget | null>;
  /** The payment side of an escrow by id or payment reference (what a payer needs), without the full aggregate. */
  paymentTarget(idOrReference: string): Promise<PaymentTarget | null>;
}

export interface SettlementOrder {
  settlementId: string;
  escrowId: string;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  paymentReference: string;
  attempt: number;
  /** The provider deduplicates on this: a retried call never moves money twice. */
  idempotencyKey: string;
}

export type SettlementOutcome =
  { status: 'SUCCEEDED'; providerReference: string } | { status: 'FAILED'; reason: string; retryable: boolean };

/** Normalised provider webhook (SPEC §6). */
export type WebhookAction =
  | {
      kind: 'payment.succeeded';
      eventId: string;
      reference: string;
      transactionId: string;
      amount: string;
      currency: string;
    }
  | { kind: 'payment.failed'; eventId: string; reference: string; transactionId: string | null; reason: string }
  | { kind: 'settlement.succeeded'; eventId: string; settlementId: string; providerReference: string }
  | { kind: 'settlement.failed'; eventId: string; settlementId: string; reason: string }
  | { kind: 'not_supported'; eventId: string; type: string };

export interface PaymentRail {
  readonly rail: Rail;
  /** Creates payment instructions at the provider; idempotent on escrowId. Never called inside a DB transaction. */
  createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
  }): Promise<PaymentInstructions>;
  /** Voids the payment intent of a cancelled escrow; idempotent. */
  voidPayment(input: { escrowId: string; reference: string }): Promise<void>;
  /** Moves settled money at the provider: a payout to the seller or a refund to the buyer. */
  executeSettlement(order: SettlementOrder): Promise<SettlementOutcome>;
  /** Verifies the signature over the raw body and normalises the event; throws WebhookSignatureError. */
  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): WebhookAction;
}

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A correctly signed webhook whose body is not an event the rail understands (→ 400, nothing stored). */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}
