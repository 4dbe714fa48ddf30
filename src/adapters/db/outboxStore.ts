import type { DeadLetter, OutboxMessage, OutboxStore, StoredEvent } from '../../app/ports/index.js';
import { MAX_BACKOFF_MS } from './backoff.js';
import type { Database } from './database.js';

/** The transactional outbox: claimed in per-escrow order under a lease, retried with capped backoff, dead-lettered. */
export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly db: Database) {}

  claim(limit: number, leaseMs: number, owner: string): Promise<OutboxMessage[]> {
    // Claims are serialised by a transaction-scoped advisory lock: the claim's snapshot then sees every lease
    // taken before it, so two publishers never hold messages of one escrow at the same time (per-escrow order).
    // An escrow's events also wait behind its dead letter until it is replayed or skipped (`skip`).
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
                    WHERE c.published_at IS NULL AND c.dead_lettered_at IS NULL AND c.skipped_at IS NULL
                      AND c.next_attempt_at <= now() AND (c.locked_until IS NULL OR c.locked_until < now())
                      AND NOT EXISTS (
                        SELECT 1 FROM outbox p
                         WHERE p.escrow_id = c.escrow_id AND p.id < c.id
                           AND p.published_at IS NULL AND p.dead_lettered_at IS NULL AND p.skipped_at IS NULL
                           AND (p.locked_until >= now() OR p.next_attempt_at > now()))
                      AND NOT EXISTS (
                        SELECT 1 FROM outbox d
                         WHERE d.escrow_id = c.escrow_id AND d.id < c.id AND d.dead_lettered_at IS NOT NULL)
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
   * Sends rows again: dead letters (all, or by id) get a fresh set of attempts — a replayed one goes out before the
   * events of its escrow that waited behind it; `escrow` re-publishes every event of one escrow, in order, skipped
   * ones included (consumers deduplicate by event id). Returns how many rows were queued.
   */
  async replay(what: { ids?: readonly string[]; allDead?: boolean; escrowId?: string }): Promise<number> {
    const reset = `published_at = NULL, dead_lettered_at = NULL, skipped_at = NULL, attempts = 0,
                   next_attempt_at = now(), locked_until = NULL, locked_by = NULL, last_error = NULL`;
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

  /**
   * Gives up on a dead letter for good (an operator's decision, audited by the caller): it is never published, and
   * the events of its escrow waiting behind it go out. Null when `id` is not a dead letter.
   */
  async skip(id: string): Promise<{ escrowId: string; eventId: string } | null> {
    const { rows } = await this.db.query<{ escrowId: string; eventId: string }>(
      `UPDATE outbox SET dead_lettered_at = NULL, skipped_at = now(), locked_until = NULL, locked_by = NULL
        WHERE id = $1::bigint AND dead_lettered_at IS NOT NULL
        RETURNING escrow_id::text AS "escrowId", event_id::text AS "eventId"`,
      [id],
    );
    return rows[0] ?? null;
  }

  async stats() {
    const { rows } = await this.db.query<{ unpublished: number; oldest: number | null; dead: number }>(
      `SELECT (SELECT count(*)::int FROM outbox
                WHERE published_at IS NULL AND dead_lettered_at IS NULL AND skipped_at IS NULL) AS unpublished,
              (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox
                WHERE published_at IS NULL AND dead_lettered_at IS NULL AND skipped_at IS NULL) AS oldest,
              (SELECT count(*)::int FROM outbox WHERE dead_lettered_at IS NOT NULL) AS dead`,
    );
    const r = rows[0]!;
    return { unpublished: r.unpublished, oldestAgeSeconds: Math.max(0, r.oldest ?? 0), deadLetters: r.dead };
  }
}
