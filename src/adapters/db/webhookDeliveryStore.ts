import type {
  AttemptRecord,
  ClaimedMessage,
  EndpointDisabled,
  WebhookDeliveryStore,
} from '../../app/ports/webhookEndpointStore.js';
import type { Database, Queryable } from './database.js';

/** The audit row of an endpoint the worker disabled (410 Gone, or failing too long): operators see who and why. */
const AUDIT_DISABLED = `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES (NULL, 'webhooks', 'system', 'WEBHOOK_ENDPOINT_DISABLED',
          jsonb_build_object('endpointId', $1::text, 'reason', $2::text), now())`;

/** One fan-out at a time across processes (transaction-scoped, so a crashed process holds nothing). */
const FAN_OUT_LOCK = 7262533;

/** The committed event's envelope as the outbox publishes it (SPEC §4), so a webhook and a Kafka message agree. */
const ENVELOPE = `jsonb_build_object('eventId', e.event_id, 'type', e.type, 'escrowId', e.escrow_id,
  'sequence', e.sequence, 'occurredAt', iso(e.occurred_at), 'correlationId', e.correlation_id,
  'causationId', e.causation_id, 'actor', e.actor, 'schemaVersion', e.schema_version,
  'commandId', e.command_id, 'data', e.data)`;

/**
 * The `webhooks` role's storage (migration 020): the fan-out from the outbox by its own cursor, claims under a
 * lease in per-(endpoint, escrow) order, and every attempt recorded with the message's new state in one transaction.
 */
export class SqlWebhookDeliveryStore implements WebhookDeliveryStore {
  /** Told when the cursor was rebased after a restore (the composition logs it at error). */
  onRebase?: () => void;

  constructor(private readonly db: Database) {}

  fanOut(limit: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rows: lock } = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
        FAN_OUT_LOCK,
      ]);
      if (!lock[0]?.ok) return 0;
      // Read-only first, so this transaction has no xid of its own yet: the horizon is every transaction still
      // running; rows of transactions that began before it are all ended (committed or rolled back). The cursor is
      // read first and passed as values, so the row comparison walks outbox_tx rather than the whole outbox.
      const { rows: at } = await tx.query<{ tx: string; id: string; ahead: boolean }>(
        `SELECT tx::text AS tx, outbox_id::text AS id, tx >= pg_snapshot_xmax(pg_current_snapshot()) AS ahead
           FROM webhook_cursor WHERE name = 'webhooks'`,
      );
      const cursor = at[0];
      if (!cursor) throw new Error('webhook_cursor has no row (migration 020 not applied?)');
      if (cursor.ahead) return this.rebase(tx);
      const { rows } = await tx.query<{ id: string; tx: string }>(
        `SELECT o.id::text AS id, o.tx::text AS tx FROM outbox o
          WHERE o.tx IS NOT NULL AND (o.tx, o.id) > ($1::xid8, $2::bigint)
            AND o.tx < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY o.tx, o.id LIMIT $3`,
        [cursor.tx, cursor.id, limit],
      );
      const last = rows.at(-1);
      if (!last) return 0;
      await tx.query(
        `INSERT INTO webhook_messages (endpoint_id, event_id, escrow_id, sequence, event_type, occurred_at)
         SELECT w.id, e.event_id, e.escrow_id, e.sequence, e.type, e.occurred_at
           FROM outbox o JOIN escrow_events e ON e.event_id = o.event_id
           JOIN webhook_endpoints w ON w.enabled AND (w.event_types IS NULL OR e.type = ANY (w.event_types))
          WHERE o.id = ANY ($1::bigint[])
          ORDER BY o.tx, o.id
         ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
        [rows.map((r) => r.id)],
      );
      await tx.query(
        `UPDATE webhook_cursor SET tx = $1::xid8, outbox_id = $2::bigint, updated_at = now() WHERE name = 'webhooks'`,
        [last.tx, last.id],
      );
      return rows.length;
    });
  }

  /**
   * The cursor is ahead of every transaction id this database has handed out: it was restored from a logical dump
   * (pg_dump keeps the old cluster's xids, a new cluster starts low again), and nothing would ever pass it. Rows
   * written after the cursor's last move (not fanned out before the dump, or written since the restore) are given
   * this transaction's xid, the older ones with an impossible xid are put behind every cursor (NULL), and the cursor
   * is set just before this transaction: the next fan-out takes exactly what had not been fanned out.
   */
  private async rebase(tx: Queryable): Promise<number> {
    await tx.query(
      `UPDATE outbox o
          SET tx = CASE WHEN o.created_at > c.updated_at THEN pg_current_xact_id() END
         FROM webhook_cursor c
        WHERE c.name = 'webhooks' AND (o.tx >= pg_snapshot_xmax(pg_current_snapshot()) OR o.created_at > c.updated_at)`,
    );
    await tx.query(
      `UPDATE webhook_cursor SET tx = ((pg_current_xact_id()::text::bigint - 1)::text)::xid8, outbox_id = 0,
              updated_at = now()
        WHERE name = 'webhooks'`,
    );
    this.onRebase?.();
    return 0;
  }

  async claim(limit: number, leaseMs: number, owner: string): Promise<ClaimedMessage[]> {
    // A message waits for the pending messages of its escrow with a lower sequence at the same endpoint, and for
    // events of its escrow with a lower sequence the fan-out has not reached yet (a transaction that took its xid
    // earlier can commit an escrow's later event first; the cursor's order is not the escrow's order).
    const { rows } = await this.db.query<{
      id: string;
      endpoint_id: string;
      url: string;
      event_id: string;
      event_type: string;
      escrow_id: string;
      attempts: number;
      round: number;
      created_at: string;
      secrets: string[];
      body: string;
    }>(
      `WITH due AS (
         SELECT m.id FROM webhook_messages m JOIN webhook_endpoints w ON w.id = m.endpoint_id AND w.enabled
          WHERE m.status = 'PENDING' AND m.next_attempt_at <= now()
            AND (m.locked_until IS NULL OR m.locked_until < now())
            AND NOT EXISTS (
              SELECT 1 FROM webhook_messages p
               WHERE p.endpoint_id = m.endpoint_id AND p.escrow_id = m.escrow_id AND p.status = 'PENDING'
                 AND p.sequence < m.sequence)
            AND NOT EXISTS (
              SELECT 1 FROM outbox o JOIN escrow_events pe ON pe.event_id = o.event_id, webhook_cursor c
               WHERE c.name = 'webhooks' AND o.escrow_id = m.escrow_id AND (o.tx, o.id) > (c.tx, c.outbox_id)
                 AND pe.sequence < m.sequence)
          ORDER BY m.next_attempt_at, m.id LIMIT $1 FOR UPDATE OF m SKIP LOCKED),
       claimed AS (
         UPDATE webhook_messages m
            SET locked_until = now() + make_interval(secs => $2::double precision / 1000), locked_by = $3
           FROM due WHERE m.id = due.id
         RETURNING m.id, m.endpoint_id, m.event_id, m.event_type, m.escrow_id, m.attempts, m.round, m.created_at)
       SELECT c.id::text AS id, c.endpoint_id::text AS endpoint_id, w.url, c.event_id::text AS event_id,
              c.event_type, c.escrow_id::text AS escrow_id, c.attempts, c.round, iso(c.created_at) AS created_at,
              ARRAY(SELECT s.secret FROM webhook_endpoint_secrets s
                     WHERE s.endpoint_id = c.endpoint_id AND (s.expires_at IS NULL OR s.expires_at > now())
                     ORDER BY s.created_at DESC) AS secrets,
              (${ENVELOPE})::text AS body
         FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id
         JOIN escrow_events e ON e.event_id = c.event_id
        ORDER BY c.id`,
      [limit, leaseMs, owner],
    );
    return rows.map((r) => ({
      id: r.id,
      endpointId: r.endpoint_id,
      url: r.url,
      eventId: r.event_id,
      eventType: r.event_type,
      escrowId: r.escrow_id,
      body: r.body,
      attempts: r.attempts,
      round: r.round,
      secrets: r.secrets,
      createdAt: r.created_at,
    }));
  }

  async record(a: AttemptRecord): Promise<boolean> {
    // One statement (atomic, one round trip). The endpoint's row is written only when its state changes (a failing
    // streak starts or ends, or it is disabled): concurrent attempts to one endpoint do not queue on its row lock.
    const status = a.outcome === 'RETRYING' ? 'PENDING' : a.outcome;
    const { rows } = await this.db.query<{ endpoint_id: string }>(
      `WITH m AS (
         UPDATE webhook_messages
            SET status = $3, attempts = attempts + 1, round = round + 1, locked_until = NULL, locked_by = NULL,
                next_attempt_at = CASE WHEN $3 = 'PENDING'
                                       THEN now() + make_interval(secs => $4::double precision / 1000) END,
                delivered_at = CASE WHEN $3 = 'DELIVERED' THEN now() ELSE delivered_at END,
                last_error = $5
          WHERE id = $1::bigint AND locked_by = $2 AND status = 'PENDING'
          RETURNING id, endpoint_id),
       attempt AS (
         INSERT INTO webhook_attempts (message_id, attempt, status, latency_ms, response_excerpt, error, outcome)
         SELECT m.id, $6, $7, $8, $9, $10, $11 FROM m),
       endpoint AS (
         UPDATE webhook_endpoints w
            SET failing_since = CASE WHEN $12 THEN NULL ELSE coalesce(w.failing_since, now()) END,
                enabled = w.enabled AND $13::text IS NULL,
                disabled_reason = coalesce($13, w.disabled_reason),
                disabled_at = CASE WHEN $13::text IS NOT NULL THEN now() ELSE w.disabled_at END,
                updated_at = CASE WHEN $13::text IS NOT NULL THEN now() ELSE w.updated_at END
           FROM m
          WHERE w.id = m.endpoint_id
            AND CASE WHEN $13::text IS NOT NULL THEN w.enabled
                     ELSE ($12 AND w.failing_since IS NOT NULL) OR (NOT $12 AND w.failing_since IS NULL) END
          RETURNING w.id),
       audit AS (
         INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
         SELECT NULL, 'webhooks', 'system', 'WEBHOOK_ENDPOINT_DISABLED',
                jsonb_build_object('endpointId', endpoint.id, 'reason', $13::text), now()
           FROM endpoint WHERE $13::text IS NOT NULL)
       SELECT endpoint_id::text AS endpoint_id FROM m`,
      [
        a.messageId,
        a.owner,
        status,
        a.retryInMs ?? 0,
        a.outcome === 'DELIVERED' ? null : summary(a),
        a.attempt,
        a.status,
        a.latencyMs,
        a.responseExcerpt,
        a.error,
        a.outcome,
        a.endpointSucceeded,
        a.disableEndpoint ?? null,
      ],
    );
    return rows.length > 0;
  }

  async disableFailing(ms: number, reason: (failingSince: string) => string): Promise<EndpointDisabled[]> {
    const { rows } = await this.db.query<EndpointDisabled>(
      // failing still: a message of it is being retried (one old failure and then silence is not an outage)
      `SELECT id::text AS "endpointId", url, iso(failing_since) AS "failingSince" FROM webhook_endpoints w
        WHERE enabled AND failing_since < now() - make_interval(secs => $1::double precision / 1000)
          AND EXISTS (SELECT 1 FROM webhook_messages m WHERE m.endpoint_id = w.id AND m.status = 'PENDING')`,
      [ms],
    );
    const disabled: EndpointDisabled[] = [];
    for (const r of rows) {
      const why = reason(r.failingSince);
      const done = await this.db.transaction(async (tx) => {
        const { rowCount } = await tx.query(
          `UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
            WHERE id = $1::uuid AND enabled
              AND failing_since < now() - make_interval(secs => $3::double precision / 1000)`,
          [r.endpointId, why, ms],
        );
        if (rowCount > 0) await tx.query(AUDIT_DISABLED, [r.endpointId, why]);
        return rowCount > 0;
      });
      if (done) disabled.push(r);
    }
    return disabled;
  }

  async oldestPending(): Promise<{ endpointId: string; ageSeconds: number }[]> {
    const { rows } = await this.db.query<{ endpoint_id: string; age: number }>(
      // enabled endpoints only: a disabled one's messages wait on purpose (its own alert and queue line say so)
      `SELECT m.endpoint_id::text AS endpoint_id, extract(epoch FROM now() - min(m.queued_at))::float8 AS age
         FROM webhook_messages m JOIN webhook_endpoints w ON w.id = m.endpoint_id AND w.enabled
        WHERE m.status = 'PENDING' GROUP BY m.endpoint_id`,
    );
    return rows.map((r) => ({ endpointId: r.endpoint_id, ageSeconds: Math.max(0, r.age) }));
  }
}

/** The message's last error as listed: the status and excerpt, or what went wrong. */
function summary(a: AttemptRecord): string {
  const text = a.status === null ? (a.error ?? 'no response') : `HTTP ${a.status}: ${a.responseExcerpt ?? ''}`;
  return text.slice(0, 2000);
}
