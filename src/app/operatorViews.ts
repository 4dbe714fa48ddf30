import { DomainError, invalid, minorAsString, type Escrow } from '../domain/index.js';
import { isUuid } from './ids.js';
import type { Clock, EscrowReadModel } from './ports/index.js';
import type {
  AuditRow,
  OperatorQueries,
  OutboxEntry,
  QueueFigures,
  SettlementEntry,
  StuckEscrow,
  WebhookEntry,
} from './ports/operatorQueries.js';

// The operator's read side of SPEC §8 (`escrow stuck|show|settlements|queues` and their admin routes): one
// definition of each view for the CLI and the API, JSON-ready (amounts as digit strings).

/** A PENDING settlement not completed after this long counts as stuck (payouts normally go within a minute). */
export const STUCK_SETTLEMENT_MINUTES = 30;
/** Page sizes of the lists. */
export const OPERATOR_LIST = { default: 50, max: 500 } as const;

/** Seed 000's daily checklist: outbox unpublished < 100, none older than 5 minutes. */
export const OUTBOX_THRESHOLDS = { unpublished: 100, oldestAgeSeconds: 300 } as const;
/** A due deadline or a pending command older than one timeout poll (5 minutes) means its loop is not running. */
export const DUE_AGE_THRESHOLD_SECONDS = 300;

export interface StuckOptions {
  olderThanHours?: number;
  minAmount?: string;
  currency?: string;
  highValue?: boolean;
  limit?: number;
}

export interface StuckReport {
  checkedAt: string;
  data: StuckEscrow[];
}

export interface SettlementsOptions {
  status?: string;
  limit?: number;
}

/** One row of `escrow queues`: OK, WARN (look at it), PROBLEM (act: the runbook threshold is crossed). */
export interface QueueLine {
  queue: string;
  metric: string;
  value: number;
  threshold: string;
  status: 'OK' | 'WARN' | 'PROBLEM';
}

export interface QueueReport {
  checkedAt: string;
  healthy: boolean;
  figures: QueueFigures;
  lines: QueueLine[];
}

/** Everything about one escrow, grouped (the human view merges it by time: `timelineEntries`). */
export interface EscrowTimeline {
  escrow: Record<string, unknown>;
  events: { sequence: number; type: string; at: string; actor: { id: string; role: string }; eventId: string }[];
  ledger: { transactionId: string; account: string; amount: string; currency: string; at: string }[];
  settlements: SettlementEntry[];
  webhooks: WebhookEntry[];
  outbox: OutboxEntry[];
  audit: AuditRow[];
  disputes: Record<string, unknown>[];
}

export interface OperatorViewDeps {
  queries: OperatorQueries;
  readModel: Pick<EscrowReadModel, 'getEscrow' | 'events' | 'ledger'>;
  clock: Clock;
}

/** JSON as the API answers it: bigints as digit strings. */
export const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value, minorAsString)) as T;

const SETTLEMENT_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;

/** The operator's views: stuck escrows, one escrow's timeline, settlements, the queues. Reads only. */
export class OperatorViews {
  constructor(private readonly deps: OperatorViewDeps) {}

  async stuck(o: StuckOptions = {}): Promise<StuckReport> {
    const now = this.deps.clock.now();
    const olderThanHours = o.olderThanHours ?? 0;
    if (!Number.isFinite(olderThanHours) || olderThanHours < 0 || olderThanHours > 24 * 3650) {
      throw invalid('olderThanHours', 'must be 0 or more hours');
    }
    if (o.minAmount !== undefined && !/^[0-9]{1,18}$/.test(o.minAmount)) {
      throw invalid('minAmount', 'must be a whole number of minor units (digits)');
    }
    if (o.currency !== undefined && !/^[A-Z]{3,5}$/.test(o.currency)) {
      throw invalid('currency', 'must be 3-5 capital letters');
    }
    const data = await this.deps.queries.stuck({
      now,
      olderThanHours,
      minAmount: o.minAmount === undefined ? null : BigInt(o.minAmount),
      currency: o.currency ?? null,
      highValue: o.highValue ?? false,
      settlementMinutes: STUCK_SETTLEMENT_MINUTES,
      limit: limitOf(o.limit),
    });
    return { checkedAt: now.toISOString(), data };
  }

  async settlements(o: SettlementsOptions = {}): Promise<{ data: SettlementEntry[] }> {
    const status = o.status ?? null;
    if (status !== null && !(SETTLEMENT_STATUSES as readonly string[]).includes(status)) {
      throw invalid('status', `must be one of ${SETTLEMENT_STATUSES.join(', ')}`);
    }
    const data = await this.deps.queries.settlements({
      now: this.deps.clock.now(),
      status: status as (typeof SETTLEMENT_STATUSES)[number] | null,
      escrowId: null,
      limit: limitOf(o.limit),
    });
    return { data };
  }

  /** The escrow's whole history; ESCROW_NOT_FOUND when there is none. */
  async timeline(escrowId: string): Promise<EscrowTimeline> {
    const escrow = isUuid(escrowId) ? await this.deps.readModel.getEscrow(escrowId) : null;
    if (!escrow) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${escrowId} not found`);
    const { queries, readModel } = this.deps;
    const [events, ledger, settlements, webhooks, outbox, audit] = await Promise.all([
      readModel.events(escrowId),
      readModel.ledger(escrowId),
      queries.settlements({ now: this.deps.clock.now(), status: null, escrowId, limit: OPERATOR_LIST.max }),
      queries.webhooksOf(escrowId),
      queries.outboxOf(escrowId),
      queries.auditOf(escrowId),
    ]);
    const { disputes, ...row } = escrow;
    // the payment's client secret (a Stripe PaymentIntent's) is the buyer's to pay with: never in an operator's output
    const { clientSecret: _secret, ...payment } = row.payment;
    return plain({
      escrow: { ...row, payment, settlements: undefined },
      events: events.map((e) => ({
        sequence: e.sequence,
        type: e.type,
        at: e.occurredAt,
        actor: e.actor,
        eventId: e.eventId,
      })),
      ledger: ledger.map((l) => ({
        transactionId: l.transactionId,
        account: l.account,
        amount: l.amount.toString(),
        currency: l.currency,
        at: l.createdAt,
      })),
      settlements,
      webhooks,
      outbox,
      audit,
      disputes: disputes.map((d) => disputeView(d)),
    });
  }

  async queues(): Promise<QueueReport> {
    const now = this.deps.clock.now();
    const figures = await this.deps.queries.queueFigures(now);
    const lines = queueLines(figures);
    return { checkedAt: now.toISOString(), healthy: lines.every((l) => l.status !== 'PROBLEM'), figures, lines };
  }
}

function disputeView(d: Escrow['disputes'][number]) {
  const { evidence: _e, files: _f, submissions, description: _d, ...rest } = d;
  return { ...rest, submissions: submissions.length };
}

function limitOf(limit: number | undefined): number {
  const n = limit ?? OPERATOR_LIST.default;
  if (!Number.isInteger(n) || n < 1 || n > OPERATOR_LIST.max) throw invalid('limit', `must be 1-${OPERATOR_LIST.max}`);
  return n;
}

const over = (value: number, limit: number): QueueLine['status'] => (value > limit ? 'PROBLEM' : 'OK');
const any = (value: number, bad: QueueLine['status'] = 'PROBLEM'): QueueLine['status'] => (value > 0 ? bad : 'OK');

/** The figures against the runbooks' thresholds (seed 000: outbox > 100 or oldest > 5 min is a problem). */
export function queueLines(f: QueueFigures): QueueLine[] {
  const line = (queue: string, metric: string, value: number, threshold: string, status: QueueLine['status']) => ({
    queue,
    metric,
    value,
    threshold,
    status,
  });
  const byStatus = (s: string) => f.settlements.byStatus[s] ?? 0;
  const pendingAge = f.settlements.pendingOldestAgeSeconds;
  return [
    line('outbox', 'unpublished', f.outbox.unpublished, '<= 100', over(f.outbox.unpublished, 100)),
    line('outbox', 'oldest_age_seconds', f.outbox.oldestAgeSeconds, '<= 300', over(f.outbox.oldestAgeSeconds, 300)),
    line('outbox', 'dead_letters', f.outbox.deadLetters, '0', any(f.outbox.deadLetters)),
    line('settlements', 'pending', byStatus('PENDING'), 'info', 'OK'),
    line('settlements', 'pending_oldest_age_seconds', pendingAge, '<= 1800', over(pendingAge, 1800)),
    line('settlements', 'failed', byStatus('FAILED'), '0', any(byStatus('FAILED'))),
    line('webhooks', 'unprocessed', f.webhooks.unprocessed, '0 (WARN)', any(f.webhooks.unprocessed, 'WARN')),
    line('webhooks', 'failed', f.webhooks.failed, '0', any(f.webhooks.failed)),
    line('commands', 'pending', f.commands.pending, 'info', 'OK'),
    line(
      'commands',
      'pending_oldest_age_seconds',
      f.commands.oldestAgeSeconds,
      '<= 300',
      over(f.commands.oldestAgeSeconds, 300),
    ),
    line('commands', 'idempotency_in_flight', f.commands.idempotencyInFlight, 'info', 'OK'),
    line('timeouts', 'payment_due', f.timeouts.paymentDue, 'info', 'OK'),
    line('timeouts', 'confirmation_due', f.timeouts.confirmationDue, 'info', 'OK'),
    line(
      'timeouts',
      'oldest_due_age_seconds',
      f.timeouts.oldestDueAgeSeconds,
      '<= 300',
      over(f.timeouts.oldestDueAgeSeconds, 300),
    ),
    line('disputes', 'open', f.disputes.open, 'info', 'OK'),
    line(
      'disputes',
      'overdue_response',
      f.disputes.overdueResponse,
      '0 (WARN)',
      any(f.disputes.overdueResponse, 'WARN'),
    ),
    line('disputes', 'overdue_sla', f.disputes.overdueSla, '0', any(f.disputes.overdueSla)),
    line('suspense', 'open', f.suspense.open, '0 (WARN)', any(f.suspense.open, 'WARN')),
    ...outgoingLines(f.outgoing, line),
  ];
}

/**
 * Outgoing webhooks (docs/webhooks.md): a message pending over an hour is a receiver failing; events not fanned out
 * while endpoints are enabled mean no `webhooks` role runs (with none enabled nobody is waiting for them).
 */
function outgoingLines(
  o: QueueFigures['outgoing'],
  line: (queue: string, metric: string, value: number, threshold: string, status: QueueLine['status']) => QueueLine,
): QueueLine[] {
  const behind = o.enabledEndpoints > 0 ? over(o.notFannedOut, 1000) : 'OK';
  return [
    line('webhooks_out', 'pending', o.pending, 'info', 'OK'),
    line('webhooks_out', 'pending_oldest_age_seconds', o.oldestAgeSeconds, '<= 3600', over(o.oldestAgeSeconds, 3600)),
    line('webhooks_out', 'not_fanned_out', o.notFannedOut, '<= 1000 (with endpoints)', behind),
    line('webhooks_out', 'endpoints_disabled', o.disabledEndpoints, '0 (WARN)', any(o.disabledEndpoints, 'WARN')),
  ];
}

/** One line of the merged human timeline. */
export interface TimelineEntry {
  at: string;
  what: string;
  detail: string;
}

/** The timeline's parts merged by time (stable: same time keeps the groups' order). */
export function timelineEntries(t: EscrowTimeline): TimelineEntry[] {
  const e = (at: string | null, what: string, detail: string): TimelineEntry[] => (at ? [{ at, what, detail }] : []);
  const entries = [
    ...t.events.flatMap((x) => e(x.at, 'event', `#${x.sequence} ${x.type} by ${x.actor.id} (${x.actor.role})`)),
    ...t.ledger.flatMap((x) => e(x.at, 'ledger', `${x.account} ${x.amount} ${x.currency} (tx ${x.transactionId})`)),
    ...t.settlements.flatMap((x) => [
      ...e(x.createdAt, 'settlement', `${x.kind} ${x.amount} ${x.currency} ${x.settlementId} created`),
      ...e(
        x.completedAt,
        'settlement',
        `${x.settlementId} ${x.status} after ${x.attempts} attempts${x.lastError ? `: ${x.lastError}` : ''}`,
      ),
    ]),
    ...t.webhooks.flatMap((x) => [
      ...e(x.receivedAt, 'webhook', `${x.provider} ${x.eventType} ${x.eventId} received (${x.attempts} attempts)`),
      ...e(x.processedAt, 'webhook', `${x.provider} ${x.eventId} processed: ${x.outcome ?? '-'}`),
    ]),
    ...t.outbox.flatMap((x) => [
      ...e(x.publishedAt, 'outbox', `#${x.sequence ?? '?'} ${x.type ?? x.eventId} published`),
      ...e(x.deadLetteredAt, 'outbox', `#${x.sequence ?? '?'} dead-lettered: ${x.lastError ?? '-'}`),
      ...(x.publishedAt || x.deadLetteredAt || x.skippedAt
        ? []
        : e(x.createdAt, 'outbox', `#${x.sequence ?? '?'} not yet published`)),
    ]),
    ...t.audit.flatMap((x) => e(x.createdAt, 'audit', `${x.action} by ${x.actorId} (${x.actorRole})${reasonOf(x)}`)),
    ...t.disputes.flatMap((x) =>
      e(String(x.createdAt), 'dispute', `${String(x.id)} ${String(x.status)}: ${String(x.reason)}`),
    ),
  ];
  return entries
    .map((x, i) => ({ x, i }))
    .sort((a, b) => (a.x.at < b.x.at ? -1 : a.x.at > b.x.at ? 1 : a.i - b.i))
    .map((y) => y.x);
}

const reasonOf = (a: AuditRow): string => (typeof a.details.reason === 'string' ? `: ${a.details.reason}` : '');
