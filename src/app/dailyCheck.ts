import type { ActivityLine, Clock, DailyFigures } from './ports/index.js';
import type { VerifyReport } from './verify.js';

/** The seeds' "stuck" age for escrows waiting on funds or on the buyer's confirmation (seed 000's daily review). */
export const STUCK_AFTER_DAYS = 7;
/** Seed 000: Kafka consumer lag below this many messages. */
export const LAG_LIMIT = 1_000;
/** Seed 000: database connection usage below this share. */
export const CONNECTIONS_LIMIT = 0.8;

/** pass: as the runbook wants it; warn: look at it today; fail: act now (the command exits 1); n/a: not here. */
export type ItemStatus = 'pass' | 'warn' | 'fail' | 'n/a';

export interface CheckItem {
  /** A stable name, for scripts (`jq '.items[] | select(.name == "outbox")'`). */
  name: string;
  /** The seeds' checklist line. */
  question: string;
  status: ItemStatus;
  /** What was found. */
  value: string;
  /** What to run next when it is not a pass. */
  next?: string;
}

export interface DailyCheckReport {
  ok: boolean;
  at: string;
  counts: Record<ItemStatus, number>;
  items: CheckItem[];
  /** Informational: the last 24 hours per currency, and the database's size. */
  last24h: ActivityLine[];
  databaseBytes: bigint | null;
}

type CheckStatus = 'ok' | 'degraded' | 'error';
interface Check {
  status: CheckStatus;
  detail?: string;
}

/** What the check asks the status service (OperationsService): /health's checks, the gauges, the ledger. */
interface Status {
  health(): Promise<{ status: CheckStatus; checks: Record<string, Check> }>;
  snapshot(): Promise<{
    settlementsByStatus: Record<string, number>;
    outbox: { unpublished: number; oldestAgeSeconds: number };
    disputesOverdue: { response: number; sla: number };
    kafkaLag?: { topic: string; partitions: { partition: number; lag: number }[] };
    kafkaLagError?: unknown;
  }>;
  verify(): Promise<VerifyReport>;
}
type OperationsSnapshot = Awaited<ReturnType<Status['snapshot']>>;

/**
 * `escrow check` (GET /api/admin/check): the daily review checklist of seeds 000 and 003 as one run — every item the
 * engine can answer itself, each a pass, a warning or a failure with the command to run next. The error rate and the
 * latency are Prometheus's (their alerts say when); the check names the alerts instead of guessing them.
 */
export class DailyCheck {
  constructor(private readonly deps: { status: Status; figures: DailyFigures; clock: Clock }) {}

  async run(): Promise<DailyCheckReport> {
    const { status, figures, clock } = this.deps;
    const now = clock.now();
    const cutoff = new Date(now.getTime() - STUCK_AFTER_DAYS * 86_400_000);
    const [health, snap, verify, awaiting, delivered, webhooks, suspense, disputes, connections, bytes, activity] =
      await Promise.all([
        status.health(),
        status.snapshot(),
        status.verify(),
        figures.awaitingFundsSince(cutoff, now),
        figures.deliveredSince(cutoff, now),
        figures.webhooksUnprocessed(),
        figures.suspenseOpen(),
        figures.disputesOpen(),
        figures.connections(),
        figures.databaseBytes(),
        figures.activity(new Date(now.getTime() - 86_400_000)),
      ]);
    const items: CheckItem[] = [
      healthItem(health.status, health.checks),
      verifyItem(verify),
      ...outboxItems(snap),
      lagItem(snap),
      connectionsItem(connections),
      count('stuck_awaiting_funds', `No stuck escrows (AWAIT_FUNDS > ${STUCK_AFTER_DAYS} days)`, awaiting, 'fail', {
        next: 'escrow stuck; escrow timeouts run --dry-run',
      }),
      count('stuck_delivered', `No escrows stuck in DELIVERED > ${STUCK_AFTER_DAYS} days`, delivered, 'fail', {
        next: 'escrow stuck; escrow timeouts run --dry-run',
      }),
      timeoutsItem(health.checks.timeouts),
      count('settlements_failed', 'No failed payouts or refunds', snap.settlementsByStatus.FAILED ?? 0, 'fail', {
        next: 'escrow settlements --failed; escrow settlements retry <id> --reason "…"',
      }),
      disputesItem(disputes, snap.disputesOverdue),
      count('webhooks_failed', 'No provider webhooks left unapplied', webhooks, 'warn', {
        next: 'escrow webhooks failed; escrow webhooks reprocess --event-id <id> --reason "…"',
      }),
      count('suspense_open', 'No money waiting in suspense', suspense, 'warn', {
        next: 'escrow suspense list --status OPEN',
      }),
      pauseItem(health.checks.pause),
      {
        name: 'error_rate_latency',
        question: 'Error rate < 0.1 %, API p95 < 200 ms',
        status: 'n/a',
        value: 'measured by Prometheus: alerts EscrowHighErrorRate and EscrowHighLatencyP95 (docs/monitoring.md)',
      },
    ];
    const counts: Record<ItemStatus, number> = { pass: 0, warn: 0, fail: 0, 'n/a': 0 };
    for (const i of items) counts[i.status]++;
    return { ok: counts.fail === 0, at: now.toISOString(), counts, items, last24h: activity, databaseBytes: bytes };
  }
}

function count(name: string, question: string, n: number, otherwise: 'warn' | 'fail', o: { next: string }): CheckItem {
  return { name, question, status: n === 0 ? 'pass' : otherwise, value: String(n), ...(n === 0 ? {} : o) };
}

function healthItem(s: CheckStatus, checks: Record<string, Check>): CheckItem {
  const off = Object.entries(checks).filter(([, c]) => c.status !== 'ok');
  const value =
    off.length === 0 ? 'ok' : `${s}: ${off.map(([n, c]) => `${n} ${c.status} (${c.detail ?? ''})`).join('; ')}`;
  const status: ItemStatus = s === 'ok' ? 'pass' : s === 'degraded' ? 'warn' : 'fail';
  return {
    name: 'health',
    question: 'Service health (/health) is ok',
    status,
    value,
    ...(s === 'ok' ? {} : { next: 'escrow health' }),
  };
}

function verifyItem(v: VerifyReport): CheckItem {
  const n = v.violations.length;
  const first = v.violations[0];
  const where = first?.escrowId ? `escrow ${first.escrowId}: ` : '';
  return {
    name: 'ledger',
    question: 'Ledger balanced, every escrow reproduced by its events (escrow verify)',
    status: n === 0 ? 'pass' : 'fail',
    value:
      n === 0
        ? `no violations (${v.escrowsChecked} escrows)`
        : `${n} violation${n === 1 ? '' : 's'}, first ${where}${first!.problem}`,
    ...(n === 0 ? {} : { next: 'escrow verify; escrow show <id>; escrow rebuild <id> --dry-run' }),
  };
}

function outboxItems(snap: OperationsSnapshot): CheckItem[] {
  const { unpublished, oldestAgeSeconds } = snap.outbox;
  const late = unpublished >= 100 || oldestAgeSeconds > 300;
  return [
    {
      name: 'outbox',
      question: 'Outbox unpublished events < 100, none older than 5 minutes',
      status: late ? 'fail' : 'pass',
      value: `${unpublished} unpublished, oldest ${Math.round(oldestAgeSeconds)} s`,
      ...(late ? { next: 'escrow outbox status' } : {}),
    },
  ];
}

function lagItem(snap: OperationsSnapshot): CheckItem {
  const question = `Kafka consumer lag < ${LAG_LIMIT} messages`;
  if (snap.kafkaLagError !== undefined) {
    const why = snap.kafkaLagError instanceof Error ? snap.kafkaLagError.message : JSON.stringify(snap.kafkaLagError);
    return { name: 'kafka_lag', question, status: 'fail', value: `not read: ${why}`, next: 'escrow kafka lag' };
  }
  if (!snap.kafkaLag) return { name: 'kafka_lag', question, status: 'n/a', value: 'not in Kafka mode' };
  const lag = snap.kafkaLag.partitions.reduce((s, p) => s + p.lag, 0);
  const bad = lag >= LAG_LIMIT;
  return {
    name: 'kafka_lag',
    question,
    status: bad ? 'fail' : 'pass',
    value: `${lag} on ${snap.kafkaLag.topic}`,
    ...(bad ? { next: 'escrow kafka lag' } : {}),
  };
}

function connectionsItem(c: { used: number; max: number } | null): CheckItem {
  const question = `Database connections in use < ${CONNECTIONS_LIMIT * 100} % of max_connections`;
  if (!c) return { name: 'db_connections', question, status: 'n/a', value: 'not told by this database (PGlite)' };
  const share = c.max > 0 ? c.used / c.max : 0;
  const bad = share >= CONNECTIONS_LIMIT;
  return {
    name: 'db_connections',
    question,
    status: bad ? 'fail' : 'pass',
    value: `${c.used} of ${c.max} (${Math.round(share * 100)} %)`,
    ...(bad ? { next: 'docs/operations.md: database connection exhaustion' } : {}),
  };
}

function timeoutsItem(c: Check | undefined): CheckItem {
  const question = 'Timeout processor running successfully';
  if (!c) return { name: 'timeouts', question, status: 'fail', value: 'not checked (the database did not answer)' };
  if (c.detail === 'not running in this process') return { name: 'timeouts', question, status: 'n/a', value: c.detail };
  const ok = c.status === 'ok';
  return {
    name: 'timeouts',
    question,
    status: ok ? 'pass' : 'fail',
    value: c.detail ?? c.status,
    ...(ok ? {} : { next: 'escrow serve --roles timeouts; escrow timeouts run --dry-run' }),
  };
}

function disputesItem(open: number, overdue: { response: number; sla: number }): CheckItem {
  const late = overdue.response + overdue.sla;
  return {
    name: 'disputes',
    question: 'Dispute queue: none past its deadlines',
    status: late === 0 ? 'pass' : 'warn',
    value: `${open} open; ${overdue.response} past respond-by, ${overdue.sla} past the SLA`,
    ...(late === 0 ? {} : { next: 'escrow disputes --overdue' }),
  };
}

function pauseItem(c: Check | undefined): CheckItem {
  const question = 'No emergency pause in force';
  if (!c) return { name: 'pause', question, status: 'n/a', value: 'no pause in this engine' };
  const paused = c.status !== 'ok';
  return {
    name: 'pause',
    question,
    status: paused ? 'warn' : 'pass',
    value: c.detail ?? c.status,
    ...(paused ? { next: 'escrow pause status; escrow resume --reason "…"' } : {}),
  };
}
