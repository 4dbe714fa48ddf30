import type {
  EscrowRowRepair,
  OperatorQueries,
  QueueFigures,
  SettlementEntry,
  SettlementFilter,
  StuckEscrow,
  StuckFilter,
} from '../../app/ports/operatorQueries.js';
import type { Database } from './database.js';
import { SqlDisputeQueries } from './disputeQueries.js';
import { SqlEscrowTimelineStore } from './escrowTimelineStore.js';

/**
 * Every escrow past its expected next step, one row per escrow with its reasons ($1 now): the payment deadline passed
 * without the timeout applied, the confirmation deadline passed (DELIVERED, or FUNDS_HELD milestones), funds held
 * over 7 days (seed 001's "high-value stuck transactions": funds_held, created more than 7 days ago), a settlement
 * PENDING longer than $2 minutes or FAILED, an open dispute past its SLA. Oldest first, then the largest amount.
 */
const STUCK = `
  WITH reasons AS (
    SELECT id AS escrow_id, 'PAYMENT_DEADLINE_PASSED' AS reason, expires_at AS since FROM escrows
     WHERE status = 'AWAIT_FUNDS' AND expires_at <= $1::timestamptz
    UNION ALL
    SELECT id, 'CONFIRMATION_DEADLINE_PASSED', auto_refund_at FROM escrows
     WHERE status IN ('DELIVERED', 'FUNDS_HELD') AND auto_refund_at <= $1::timestamptz
    UNION ALL
    SELECT id, 'HELD_OVER_7_DAYS', created_at FROM escrows
     WHERE status = 'FUNDS_HELD' AND created_at < $1::timestamptz - interval '7 days'
    UNION ALL
    SELECT escrow_id, 'SETTLEMENT_PENDING', greatest(created_at, next_attempt_at) FROM settlements
     WHERE status = 'PENDING' AND greatest(created_at, next_attempt_at) <= $1::timestamptz - $2::int * interval '1 minute'
    UNION ALL
    SELECT escrow_id, 'SETTLEMENT_FAILED', coalesce(completed_at, created_at) FROM settlements WHERE status = 'FAILED'
    UNION ALL
    SELECT escrow_id, 'DISPUTE_SLA_PASSED', coalesce(sla_due_at, created_at + interval '7 days') FROM disputes
     WHERE status <> 'RESOLVED' AND coalesce(sla_due_at, created_at + interval '7 days') <= $1::timestamptz
  )
  SELECT e.id AS "escrowId", e.status, e.rail, e.currency, e.amount::text AS amount, iso(e.created_at) AS "createdAt",
         array_agg(DISTINCT r.reason) AS reasons, iso(min(r.since)) AS since,
         greatest(0, floor(extract(epoch FROM $1::timestamptz - min(r.since))))::int AS "ageSeconds",
         bool_or(r.reason = 'HELD_OVER_7_DAYS') AS "highValue"
    FROM reasons r JOIN escrows e ON e.id = r.escrow_id
   WHERE ($3::text IS NULL OR e.currency = $3) AND ($4::bigint IS NULL OR e.amount >= $4::bigint)
   GROUP BY e.id
  HAVING min(r.since) <= $1::timestamptz - $5::float8 * interval '1 hour'
     AND (NOT $6::boolean OR bool_or(r.reason = 'HELD_OVER_7_DAYS'))
   ORDER BY min(r.since), e.amount DESC, e.id
   LIMIT $7`;

const SETTLEMENTS = `
  SELECT s.id AS "settlementId", s.escrow_id AS "escrowId", e.rail, s.kind, s.amount::text AS amount, s.currency,
         s.status, s.attempts, s.failures, s.round, s.waiting_for AS "waitingFor", s.last_error AS "lastError",
         s.failure_reason AS "failureReason", iso(s.created_at) AS "createdAt", iso(s.completed_at) AS "completedAt",
         greatest(0, floor(extract(epoch FROM $1::timestamptz - s.created_at)))::int AS "ageSeconds"
    FROM settlements s JOIN escrows e ON e.id = s.escrow_id
   WHERE ($2::text IS NULL OR s.status = $2) AND ($3::uuid IS NULL OR s.escrow_id = $3::uuid)
   ORDER BY s.created_at, s.id
   LIMIT $4`;

/**
 * Seconds since the oldest of a set, 0 when empty: against $1 (the engine's clock) for times the engine wrote, against
 * the database's now() for those the database stamped itself (outbox and webhook rows: DEFAULT now()).
 */
const age = (column: string, from: string, now = '$1::timestamptz') =>
  `(SELECT coalesce(greatest(0, floor(extract(epoch FROM ${now} - min(${column})))), 0)::int ${from})`;

const QUEUES = `
  SELECT
    (SELECT count(*)::int FROM outbox
      WHERE published_at IS NULL AND dead_lettered_at IS NULL AND skipped_at IS NULL) AS outbox_unpublished,
    ${age('created_at', 'FROM outbox WHERE published_at IS NULL AND dead_lettered_at IS NULL AND skipped_at IS NULL', 'now()')}
      AS outbox_oldest,
    (SELECT count(*)::int FROM outbox WHERE dead_lettered_at IS NOT NULL) AS outbox_dead,
    (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
       FROM (SELECT status, count(*)::int AS n FROM settlements GROUP BY status) c) AS settlements_by_status,
    ${age(
      // since it was last due (a retry makes it due now; a backoff later), not counting those waiting for the seller's
      // payout account (the seller's move: GET /api/admin/settlements/waiting)
      'greatest(created_at, next_attempt_at)',
      "FROM settlements WHERE status = 'PENDING' AND waiting_for IS DISTINCT FROM 'PAYOUT_ACCOUNT'",
    )} AS settlements_pending_oldest,
    (SELECT count(*)::int FROM webhook_events WHERE processed_at IS NULL) AS webhooks_unprocessed,
    (SELECT count(*)::int FROM webhook_events WHERE processed_at IS NULL AND last_error IS NOT NULL) AS webhooks_failed,
    ${age('received_at', 'FROM webhook_events WHERE processed_at IS NULL', 'now()')} AS webhooks_oldest,
    (SELECT count(*)::int FROM command_submissions s
      WHERE NOT EXISTS (SELECT 1 FROM processed_commands p WHERE p.command_id = s.command_id)) AS commands_pending,
    ${age(
      'submitted_at',
      'FROM command_submissions s WHERE NOT EXISTS (SELECT 1 FROM processed_commands p WHERE p.command_id = s.command_id)',
    )} AS commands_oldest,
    (SELECT count(*)::int FROM idempotency_keys WHERE status IS NULL AND expires_at > $1::timestamptz)
      AS idempotency_in_flight,
    (SELECT count(*)::int FROM escrows WHERE status = 'AWAIT_FUNDS' AND expires_at <= $1::timestamptz) AS payment_due,
    (SELECT count(*)::int FROM escrows
      WHERE status IN ('DELIVERED', 'FUNDS_HELD') AND auto_refund_at <= $1::timestamptz) AS confirmation_due,
    (SELECT coalesce(greatest(0, floor(extract(epoch FROM $1::timestamptz - min(d)))), 0)::int FROM (
       SELECT expires_at AS d FROM escrows WHERE status = 'AWAIT_FUNDS' AND expires_at <= $1::timestamptz
       UNION ALL SELECT auto_refund_at FROM escrows
        WHERE status IN ('DELIVERED', 'FUNDS_HELD') AND auto_refund_at <= $1::timestamptz) due) AS timeouts_oldest,
    (SELECT count(*)::int FROM disputes WHERE status <> 'RESOLVED') AS disputes_open,
    (SELECT count(*)::int FROM suspense_items WHERE status = 'OPEN') AS suspense_open,
    (SELECT count(*)::int FROM webhook_messages WHERE status = 'PENDING') AS outgoing_pending,
    ${age(
      'm.queued_at',
      "FROM webhook_messages m JOIN webhook_endpoints w ON w.id = m.endpoint_id AND w.enabled WHERE m.status = 'PENDING'",
      'now()',
    )} AS outgoing_oldest,
    (SELECT count(*)::int FROM outbox o
      WHERE o.tx IS NOT NULL
        AND (o.tx, o.id) > (SELECT c.tx, c.outbox_id FROM webhook_cursor c WHERE c.name = 'webhooks')) AS outgoing_behind,
    (SELECT count(*)::int FROM webhook_endpoints WHERE enabled) AS endpoints_enabled,
    (SELECT count(*)::int FROM webhook_endpoints WHERE NOT enabled) AS endpoints_disabled`;

interface QueueRow {
  outgoing_pending: number;
  outgoing_oldest: number;
  outgoing_behind: number;
  endpoints_enabled: number;
  endpoints_disabled: number;
  outbox_unpublished: number;
  outbox_oldest: number;
  outbox_dead: number;
  settlements_by_status: Record<string, number>;
  settlements_pending_oldest: number;
  webhooks_unprocessed: number;
  webhooks_failed: number;
  webhooks_oldest: number;
  commands_pending: number;
  commands_oldest: number;
  idempotency_in_flight: number;
  payment_due: number;
  confirmation_due: number;
  timeouts_oldest: number;
  disputes_open: number;
  suspense_open: number;
}

/** The operator's queries over PostgreSQL or PGlite (the same SQL on both), and the repair of `escrow rebuild`. */
export class SqlOperatorQueries implements OperatorQueries {
  private readonly timeline: SqlEscrowTimelineStore;
  private readonly disputes: SqlDisputeQueries;

  constructor(private readonly db: Database) {
    this.timeline = new SqlEscrowTimelineStore(db);
    this.disputes = new SqlDisputeQueries(db);
  }

  async stuck(f: StuckFilter): Promise<StuckEscrow[]> {
    const { rows } = await this.db.query<StuckEscrow>(STUCK, [
      f.now.toISOString(),
      f.settlementMinutes,
      f.currency,
      f.minAmount === null ? null : f.minAmount.toString(),
      f.olderThanHours,
      f.highValue,
      f.limit,
    ]);
    return rows.map((r) => ({ ...r, reasons: [...r.reasons].sort() }));
  }

  async settlements(f: SettlementFilter): Promise<SettlementEntry[]> {
    const { rows } = await this.db.query<SettlementEntry>(SETTLEMENTS, [
      f.now.toISOString(),
      f.status,
      f.escrowId,
      f.limit,
    ]);
    return rows;
  }

  webhooksOf(escrowId: string) {
    return this.timeline.webhooksOf(escrowId);
  }

  outboxOf(escrowId: string) {
    return this.timeline.outboxOf(escrowId);
  }

  auditOf(escrowId: string) {
    return this.timeline.auditOf(escrowId);
  }

  repairEscrowRow(repair: EscrowRowRepair): Promise<boolean> {
    return this.timeline.repairEscrowRow(repair);
  }

  async queueFigures(now: Date): Promise<QueueFigures> {
    const [{ rows }, overdue] = await Promise.all([
      this.db.query<QueueRow>(QUEUES, [now.toISOString()]),
      this.disputes.overdueCounts(now),
    ]);
    const r = rows[0]!;
    return {
      outbox: { unpublished: r.outbox_unpublished, oldestAgeSeconds: r.outbox_oldest, deadLetters: r.outbox_dead },
      settlements: { byStatus: r.settlements_by_status, pendingOldestAgeSeconds: r.settlements_pending_oldest },
      webhooks: { unprocessed: r.webhooks_unprocessed, failed: r.webhooks_failed, oldestAgeSeconds: r.webhooks_oldest },
      commands: {
        pending: r.commands_pending,
        oldestAgeSeconds: r.commands_oldest,
        idempotencyInFlight: r.idempotency_in_flight,
      },
      timeouts: {
        paymentDue: r.payment_due,
        confirmationDue: r.confirmation_due,
        oldestDueAgeSeconds: r.timeouts_oldest,
      },
      disputes: { open: r.disputes_open, overdueResponse: overdue.response, overdueSla: overdue.sla },
      suspense: { open: r.suspense_open },
      outgoing: {
        pending: r.outgoing_pending,
        oldestAgeSeconds: r.outgoing_oldest,
        notFannedOut: r.outgoing_behind,
        enabledEndpoints: r.endpoints_enabled,
        disabledEndpoints: r.endpoints_disabled,
      },
    };
  }
}
