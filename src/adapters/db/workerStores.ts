import type { Rail, SettlementKind } from '../../domain/index.js';
import type {
  ClaimedSettlement,
  DueTimeout,
  OutboxMessage,
  OutboxStore,
  SettlementStore,
  TimeoutStore,
  WebhookStore,
} from '../../app/ports/index.js';
import type { StoredEvent } from '../../app/ports/index.js';
import type { Database } from './database.js';

export interface DeadLetter {
  id: string;
  eventId: string;
  escrowId: string;
  eventType: string;
  sequence: number;
  attempts: number;
  lastError: string | null;
  deadLetteredAt: string;
}

/** Longest backoff between two attempts of the same outbox row or settlement. */
const MAX_BACKOFF_MS = 3_600_000;

export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Database) {}

  async recordProcessed(provider: string, eventId: string, type: string, payload: unknown, outcome: string) {
    await this.db.query(
      `INSERT INTO webhook_events (provider, event_id, event_type, payload, attempts, processed_at, outcome)
       VALUES ($1, $2, $3, $4, 1, now(), $5)
       ON CONFLICT (provider, event_id) DO UPDATE SET processed_at = now(), outcome = excluded.outcome,
         attempts = webhook_events.attempts + 1, last_error = NULL`,
      [provider, eventId, type, JSON.stringify(payload), outcome],
    );
  }

  async recordFailure(provider: string, eventId: string, type: string, payload: unknown, error: string) {
    await this.db.query(
      `INSERT INTO webhook_events (provider, event_id, event_type, payload, attempts, last_error)
       VALUES ($1, $2, $3, $4, 1, $5)
       ON CONFLICT (provider, event_id) DO UPDATE SET attempts = webhook_events.attempts + 1,
         last_error = excluded.last_error
       WHERE webhook_events.processed_at IS NULL`,
      [provider, eventId, type, JSON.stringify(payload), error.slice(0, 2000)],
    );
  }

  async unprocessed(limit: number) {
    const { rows } = await this.db.query<{
      provider: string;
      eventId: string;
      type: string;
      payload: unknown;
      lastError: string | null;
      receivedAt: string;
    }>(
      `SELECT provider, event_id AS "eventId", event_type AS type, payload, last_error AS "lastError",
              iso(received_at) AS "receivedAt"
         FROM webhook_events WHERE processed_at IS NULL ORDER BY received_at LIMIT $1`,
      [limit],
    );
    return rows;
  }
}

export class SqlSettlementStore implements SettlementStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {}

  async claimDue(limit: number, leaseMs: number): Promise<ClaimedSettlement[]> {
    const { rows } = await this.db.query<{
      id: string;
      escrow_id: string;
      rail: Rail;
      kind: SettlementKind;
      amount: string;
      currency: string;
      beneficiary_id: string;
      payment_reference: string;
      attempts: number;
      failures: number;
    }>(
      `UPDATE settlements s SET locked_until = $3::timestamptz + make_interval(secs => $2::double precision / 1000),
              attempts = s.attempts + 1
         FROM (SELECT id FROM settlements
                WHERE status = 'PENDING' AND next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due, escrows e
        WHERE s.id = due.id AND e.id = s.escrow_id
        RETURNING s.id, s.escrow_id, e.rail, s.kind, s.amount::text AS amount, s.currency, s.beneficiary_id,
                  e.payment_reference, s.attempts, s.failures`,
      [limit, leaseMs, this.now().toISOString()],
    );
    return rows.map((r) => ({
      id: r.id,
      escrowId: r.escrow_id,
      rail: r.rail,
      kind: r.kind,
      amount: BigInt(r.amount),
      currency: r.currency,
      beneficiaryId: r.beneficiary_id,
      paymentReference: r.payment_reference,
      attempts: r.attempts,
      failures: r.failures,
    }));
  }

  async scheduleRetry(id: string, error: string, baseDelayMs: number) {
    await this.db.query(
      `UPDATE settlements SET failures = failures + 1, last_error = $2, locked_until = NULL,
              next_attempt_at = $4::timestamptz
                + make_interval(secs => least($5::double precision, $3::double precision * 2 ^ failures) / 1000)
        WHERE id = $1 AND status = 'PENDING'`,
      [id, error.slice(0, 2000), baseDelayMs, this.now().toISOString(), MAX_BACKOFF_MS],
    );
  }

  async release(id: string) {
    await this.db.query(`UPDATE settlements SET locked_until = NULL WHERE id = $1`, [id]);
  }

  async findEscrowOf(settlementId: string) {
    const { rows } = await this.db.query<{ escrow_id: string }>(`SELECT escrow_id FROM settlements WHERE id = $1`, [
      settlementId,
    ]);
    return rows[0]?.escrow_id ?? null;
  }

  async countByStatus() {
    const { rows } = await this.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM settlements GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}

export class SqlTimeoutStore implements TimeoutStore {
  constructor(private readonly db: Database) {}

  private async due(column: 'expires_at' | 'auto_refund_at', status: string, now: Date, limit: number) {
    const { rows } = await this.db.query<DueTimeout>(
      `SELECT id AS "escrowId", version, iso(${column}) AS deadline FROM escrows
        WHERE status = $1 AND ${column} <= $2 ORDER BY ${column} LIMIT $3`,
      [status, now.toISOString(), limit],
    );
    return rows;
  }

  duePaymentDeadlines(now: Date, limit: number) {
    return this.due('expires_at', 'AWAIT_FUNDS', now, limit);
  }

  dueConfirmationDeadlines(now: Date, limit: number) {
    return this.due('auto_refund_at', 'DELIVERED', now, limit);
  }

  async nextDeadline(includeConfirmation: boolean) {
    const { rows } = await this.db.query<{ next: string | null }>(
      `SELECT iso(least((SELECT min(expires_at) FROM escrows WHERE status = 'AWAIT_FUNDS'),
                        CASE WHEN $1 THEN (SELECT min(auto_refund_at) FROM escrows WHERE status = 'DELIVERED') END))
              AS next`,
      [includeConfirmation],
    );
    const next = rows[0]?.next;
    return next ? new Date(next) : null;
  }
}

export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly db: Database) {}

  claim(limit: number, leaseMs: number, owner: string): Promise<OutboxMessage[]> {
    // Claims are serialised by a transaction-scoped advisory lock: the claim's snapshot then sees every lease
    // taken before it, so two publishers never hold messages of one escrow at the same time (per-escrow order).
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7262532)');
      const { rows } = await tx.query<{
        id: string;
        escrow_id: string;
        attempts: number;
        created_at: string;
        event: StoredEvent;
      }>(
        `WITH claimed AS (
           UPDATE outbox o SET locked_until = now() + make_interval(secs => $2::double precision / 1000), locked_by = $3
             FROM (SELECT c.id FROM outbox c
                    WHERE c.published_at IS NULL AND c.dead_lettered_at IS NULL AND c.next_attempt_at <= now()
                      AND (c.locked_until IS NULL OR c.locked_until < now())
                      AND NOT EXISTS (
                        SELECT 1 FROM outbox p
                         WHERE p.escrow_id = c.escrow_id AND p.id < c.id
                           AND p.published_at IS NULL AND p.dead_lettered_at IS NULL
                           AND (p.locked_until >= now() OR p.next_attempt_at > now()))
                    ORDER BY c.id LIMIT $1 FOR UPDATE SKIP LOCKED) due
            WHERE o.id = due.id
            RETURNING o.id, o.event_id, o.escrow_id, o.attempts, o.created_at)
         SELECT c.id::text AS id, c.escrow_id, c.attempts, iso(c.created_at) AS created_at,
                jsonb_build_object('eventId', e.event_id, 'type', e.type, 'escrowId', e.escrow_id,
                  'sequence', e.sequence, 'occurredAt', iso(e.occurred_at), 'correlationId', e.correlation_id,
                  'causationId', e.causation_id, 'actor', e.actor, 'schemaVersion', e.schema_version,
                  'commandId', e.command_id, 'data', e.data) AS event
           FROM claimed c JOIN escrow_events e ON e.event_id = c.event_id
          ORDER BY c.id`,
        [limit, leaseMs, owner],
      );
      return rows.map((r) => ({
        id: r.id,
        eventId: r.event.eventId,
        escrowId: r.escrow_id,
        eventType: r.event.type,
        payload: r.event,
        headers: {
          'event-id': r.event.eventId,
          'event-type': r.event.type,
          'aggregate-id': r.escrow_id,
          'correlation-id': r.event.correlationId ?? '',
        },
        attempts: r.attempts,
        createdAt: r.created_at,
      }));
    });
  }

  async markPublished(ids: readonly string[]) {
    if (ids.length === 0) return;
    await this.db.query(
      `UPDATE outbox SET published_at = now(), locked_until = NULL, last_error = NULL WHERE id = ANY($1::bigint[])`,
      [ids],
    );
  }

  async release(ids: readonly string[]) {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE outbox SET locked_until = NULL WHERE id = ANY($1::bigint[])`, [ids]);
  }

  async markFailed(id: string, error: string, maxAttempts: number, baseDelayMs: number) {
    const { rows } = await this.db.query<{ dead: boolean }>(
      `UPDATE outbox SET attempts = attempts + 1, last_error = $2, locked_until = NULL,
              next_attempt_at = now() + make_interval(secs => least($5::double precision, $4::double precision * 2 ^ attempts) / 1000),
              dead_lettered_at = CASE WHEN attempts + 1 >= $3 THEN now() END
        WHERE id = $1::bigint RETURNING dead_lettered_at IS NOT NULL AS dead`,
      [id, error.slice(0, 2000), maxAttempts, baseDelayMs, MAX_BACKOFF_MS],
    );
    return rows[0]?.dead ?? false;
  }

  /** Dead-lettered rows, oldest first, with their last error. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const { rows } = await this.db.query<DeadLetter>(
      `SELECT o.id::text AS id, o.event_id::text AS "eventId", o.escrow_id::text AS "escrowId", e.type AS "eventType",
              e.sequence, o.attempts, o.last_error AS "lastError", iso(o.dead_lettered_at) AS "deadLetteredAt"
         FROM outbox o JOIN escrow_events e ON e.event_id = o.event_id
        WHERE o.dead_lettered_at IS NOT NULL ORDER BY o.id LIMIT $1`,
      [limit],
    );
    return rows;
  }

  /**
   * Sends rows again: dead letters (all, or by id) get a fresh set of attempts; `escrow` re-publishes every event of
   * one escrow, in order (consumers deduplicate by event id). Returns how many rows were queued.
   */
  async replay(what: { ids?: readonly string[]; allDead?: boolean; escrowId?: string }): Promise<number> {
    const reset = `published_at = NULL, dead_lettered_at = NULL, attempts = 0, next_attempt_at = now(),
                   locked_until = NULL, locked_by = NULL, last_error = NULL`;
    if (what.escrowId) {
      const { rowCount } = await this.db.query(`UPDATE outbox SET ${reset} WHERE escrow_id = $1::uuid`, [
        what.escrowId,
      ]);
      return rowCount;
    }
    if (what.allDead) {
      const { rowCount } = await this.db.query(`UPDATE outbox SET ${reset} WHERE dead_lettered_at IS NOT NULL`);
      return rowCount;
    }
    if (!what.ids?.length) return 0;
    const { rowCount } = await this.db.query(
      `UPDATE outbox SET ${reset} WHERE dead_lettered_at IS NOT NULL AND id = ANY($1::bigint[])`,
      [what.ids],
    );
    return rowCount;
  }

  async stats() {
    const { rows } = await this.db.query<{ unpublished: number; oldest: number | null; dead: number }>(
      `SELECT (SELECT count(*)::int FROM outbox WHERE published_at IS NULL AND dead_lettered_at IS NULL) AS unpublished,
              (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox
                WHERE published_at IS NULL AND dead_lettered_at IS NULL) AS oldest,
              (SELECT count(*)::int FROM outbox WHERE dead_lettered_at IS NOT NULL) AS dead`,
    );
    const r = rows[0]!;
    return { unpublished: r.unpublished, oldestAgeSeconds: Math.max(0, r.oldest ?? 0), deadLetters: r.dead };
  }
}
