import type {
  AuditNote,
  DeliveryRecord,
  EndpointPatch,
  MessageSelection,
  NewEndpoint,
  WebhookEndpoint,
  WebhookEndpointStore,
  WebhookMessage,
} from '../../app/ports/webhookEndpointStore.js';
import type { Database, Queryable } from './database.js';

const AUDIT = `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES (NULL, $1, $2, $3, $4::jsonb, $5)`;

const ENDPOINT = `SELECT w.id::text AS id, w.url, w.description, w.event_types AS "eventTypes", w.enabled,
    w.disabled_reason AS "disabledReason", iso(w.disabled_at) AS "disabledAt",
    iso(w.failing_since) AS "failingSince", w.created_by AS "createdBy", iso(w.created_at) AS "createdAt",
    iso(w.updated_at) AS "updatedAt",
    coalesce((SELECT jsonb_agg(jsonb_build_object('id', s.id, 'createdAt', iso(s.created_at),
                'expiresAt', iso(s.expires_at)) ORDER BY s.created_at DESC)
                FROM webhook_endpoint_secrets s
               WHERE s.endpoint_id = w.id AND (s.expires_at IS NULL OR s.expires_at > now())), '[]') AS secrets
  FROM webhook_endpoints w`;

const MESSAGE = `m.id::text AS id, m.endpoint_id::text AS "endpointId", m.event_id::text AS "eventId",
    m.event_type AS "eventType", m.escrow_id::text AS "escrowId", m.sequence, m.status, m.attempts,
    iso(m.next_attempt_at) AS "nextAttemptAt", iso(m.created_at) AS "createdAt",
    iso(m.delivered_at) AS "deliveredAt", m.last_error AS "lastError"`;

/** A message's state as a fresh delivery: the schedule starts again, the attempt log stays. */
const FRESH = `status = 'PENDING', round = 0, next_attempt_at = now(), locked_until = NULL, locked_by = NULL,
  delivered_at = NULL, queued_at = now()`;

/** The most messages a requeue lists back (it may queue many more). */
const LISTED = 100;

/**
 * Webhook endpoints, their secrets and the delivery log (migration 020). Each change writes its audit row in the
 * same transaction; secrets are written here and read only by the delivery store (never listed with their value).
 */
export class SqlWebhookEndpointStore implements WebhookEndpointStore {
  constructor(private readonly db: Database) {}

  create(e: NewEndpoint, audit: AuditNote): Promise<WebhookEndpoint> {
    return this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO webhook_endpoints (id, url, description, event_types, enabled, disabled_reason, disabled_at,
                                        created_by, created_at, updated_at)
         VALUES ($1::uuid, $2, $3, $4::text[], $5, $6, CASE WHEN $5 THEN NULL ELSE now() END, $7, $8, $8)`,
        [e.id, e.url, e.description, e.eventTypes, e.enabled, e.disabledReason, audit.actor.id, e.at],
      );
      await tx.query(
        `INSERT INTO webhook_endpoint_secrets (id, endpoint_id, secret, created_at) VALUES ($1::uuid, $2::uuid, $3, $4)`,
        [e.secret.id, e.id, e.secret.value, e.at],
      );
      await writeAudit(tx, audit);
      return (await one(tx, e.id))!;
    });
  }

  get(id: string): Promise<WebhookEndpoint | null> {
    return one(this.db, id);
  }

  async list(): Promise<WebhookEndpoint[]> {
    const { rows } = await this.db.query<WebhookEndpoint>(`${ENDPOINT} ORDER BY w.created_at, w.id`);
    return rows;
  }

  update(id: string, p: EndpointPatch, audit: AuditNote): Promise<WebhookEndpoint | null> {
    return this.db.transaction(async (tx) => {
      const enabling = p.enabled === true;
      // enabling queues what it missed while disabled (the fan-out skipped it), before anything newer can go out:
      // the claim's per-escrow order then holds across the gap
      if (enabling) await queueMissed(tx, id);
      const { rowCount } = await tx.query(
        `UPDATE webhook_endpoints
            SET url = coalesce($2, url), description = coalesce($3, description),
                event_types = CASE WHEN $4 THEN $5::text[] ELSE event_types END,
                enabled = coalesce($6, enabled),
                disabled_reason = CASE WHEN $6 IS TRUE THEN NULL WHEN $6 IS FALSE THEN $7 ELSE disabled_reason END,
                disabled_at = CASE WHEN $6 IS TRUE THEN NULL WHEN $6 IS FALSE THEN now() ELSE disabled_at END,
                failing_since = CASE WHEN $8 THEN NULL ELSE failing_since END,
                updated_at = $9
          WHERE id = $1::uuid`,
        [
          id,
          p.url ?? null,
          p.description ?? null,
          p.eventTypes !== undefined,
          p.eventTypes ?? null,
          p.enabled ?? null,
          p.disabledReason ?? null,
          enabling,
          audit.at,
        ],
      );
      if (rowCount === 0) return null;
      await writeAudit(tx, audit);
      return one(tx, id);
    });
  }

  remove(id: string, audit: AuditNote): Promise<WebhookEndpoint | null> {
    return this.db.transaction(async (tx) => {
      const before = await one(tx, id);
      if (!before) return null;
      await tx.query('DELETE FROM webhook_endpoints WHERE id = $1::uuid', [id]);
      await writeAudit(tx, audit);
      return before;
    });
  }

  rotateSecret(
    id: string,
    secret: { id: string; value: string },
    overlapMs: number,
    audit: AuditNote,
  ): Promise<WebhookEndpoint | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query('SELECT 1 FROM webhook_endpoints WHERE id = $1::uuid FOR UPDATE', [id]);
      if (rows.length === 0) return null;
      // the current secret signs on for the overlap (by the database's clock, which the signing side reads too); an
      // older one still in its overlap stops now: never more than two sign
      await tx.query(
        `UPDATE webhook_endpoint_secrets
            SET expires_at = CASE WHEN expires_at IS NULL THEN now() + make_interval(secs => $2::double precision / 1000)
                                  ELSE least(expires_at, now()) END
          WHERE endpoint_id = $1::uuid AND (expires_at IS NULL OR expires_at > now())`,
        [id, overlapMs],
      );
      await tx.query(
        `INSERT INTO webhook_endpoint_secrets (id, endpoint_id, secret, created_at) VALUES ($1::uuid, $2::uuid, $3, $4)`,
        [secret.id, id, secret.value, audit.at],
      );
      await tx.query('UPDATE webhook_endpoints SET updated_at = $2 WHERE id = $1::uuid', [id, audit.at]);
      await writeAudit(tx, audit);
      return one(tx, id);
    });
  }

  async messages(s: MessageSelection): Promise<DeliveryRecord[]> {
    const { rows } = await this.db.query<DeliveryRecord>(
      `SELECT ${MESSAGE},
              coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id::text, 'messageId', a.message_id::text,
                          'eventId', m.event_id, 'attempt', a.attempt, 'at', iso(a.at), 'status', a.status,
                          'latencyMs', a.latency_ms, 'responseExcerpt', a.response_excerpt, 'error', a.error,
                          'outcome', a.outcome) ORDER BY a.id DESC)
                          FROM webhook_attempts a WHERE a.message_id = m.id), '[]') AS "attemptLog"
         FROM webhook_messages m
        WHERE m.endpoint_id = $1::uuid AND ($2::uuid IS NULL OR m.event_id = $2::uuid)
          AND ($3::text IS NULL OR m.status = $3) AND ($4::bigint IS NULL OR m.id < $4::bigint)
        ORDER BY m.id DESC LIMIT $5`,
      [s.endpointId, s.eventId ?? null, s.status ?? null, s.beforeId ?? null, s.limit],
    );
    return rows;
  }

  requeue(
    endpointId: string,
    what: { eventIds: string[] } | { since: string; until: string; includeDelivered: boolean },
    options: { dryRun: boolean; audit: AuditNote },
  ): Promise<{ queued: number; messages: WebhookMessage[] }> {
    return this.db.transaction(async (tx) => {
      const wanted =
        'eventIds' in what ? await byIds(tx, endpointId, what.eventIds) : await inWindow(tx, endpointId, what);
      if (options.dryRun || wanted.length === 0) return listed(tx, endpointId, wanted, options.dryRun);
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO webhook_messages (endpoint_id, event_id, escrow_id, sequence, event_type, occurred_at)
         SELECT $1::uuid, e.event_id, e.escrow_id, e.sequence, e.type, e.occurred_at
           FROM escrow_events e WHERE e.event_id = ANY ($2::uuid[])
          ORDER BY e.occurred_at, e.escrow_id, e.sequence
         ON CONFLICT (endpoint_id, event_id) DO UPDATE SET ${FRESH} WHERE webhook_messages.status <> 'PENDING'
         RETURNING event_id::text AS id`,
        [endpointId, wanted],
      );
      // a message that turned pending meanwhile (fanned out, resent by someone else) is not taken over
      const queued = rows.map((r) => r.id);
      await writeAudit(tx, { ...options.audit, details: { ...options.audit.details, queued: queued.length } });
      return listed(tx, endpointId, queued, false);
    });
  }
}

/**
 * Messages for the events the fan-out passed while the endpoint was disabled (from where the cursor stood when it was
 * disabled to where it stands now; what lies beyond is fanned out to it as usual), of the types it subscribes to.
 */
function queueMissed(q: Queryable, id: string): Promise<unknown> {
  return q.query(
    `INSERT INTO webhook_messages (endpoint_id, event_id, escrow_id, sequence, event_type, occurred_at)
     SELECT w.id, e.event_id, e.escrow_id, e.sequence, e.type, e.occurred_at
       FROM webhook_endpoints w, webhook_cursor c, outbox o JOIN escrow_events e ON e.event_id = o.event_id
      WHERE w.id = $1::uuid AND NOT w.enabled AND w.missed_from_tx IS NOT NULL AND c.name = 'webhooks'
        AND o.tx IS NOT NULL AND (o.tx, o.id) > (w.missed_from_tx, w.missed_from_id)
        AND (o.tx, o.id) <= (c.tx, c.outbox_id)
        AND (w.event_types IS NULL OR e.type = ANY (w.event_types))
      ORDER BY o.tx, o.id
     ON CONFLICT (endpoint_id, event_id) DO NOTHING`,
    [id],
  );
}

async function one(q: Queryable, id: string): Promise<WebhookEndpoint | null> {
  const { rows } = await q.query<WebhookEndpoint>(`${ENDPOINT} WHERE w.id = $1::uuid`, [id]);
  return rows[0] ?? null;
}

function writeAudit(q: Queryable, a: AuditNote): Promise<unknown> {
  return q.query(AUDIT, [a.actor.id, a.actor.role, a.action, JSON.stringify(a.details), a.at]);
}

/** The given events that exist (an unknown id is the service's 404, before this is called). */
async function byIds(q: Queryable, endpointId: string, eventIds: string[]): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT m.event_id::text AS id FROM webhook_messages m
      WHERE m.endpoint_id = $1::uuid AND m.event_id = ANY ($2::uuid[]) AND m.status <> 'PENDING'`,
    [endpointId, eventIds],
  );
  return rows.map((r) => r.id);
}

/** The window's events the endpoint subscribes to: failed, never sent and (if asked) delivered; pending ones go on. */
async function inWindow(
  q: Queryable,
  endpointId: string,
  w: { since: string; until: string; includeDelivered: boolean },
): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT e.event_id::text AS id
       FROM escrow_events e JOIN webhook_endpoints w ON w.id = $1::uuid
       LEFT JOIN webhook_messages m ON m.endpoint_id = w.id AND m.event_id = e.event_id
      WHERE e.occurred_at >= $2::timestamptz AND e.occurred_at < $3::timestamptz
        AND (w.event_types IS NULL OR e.type = ANY (w.event_types))
        AND (m.id IS NULL OR m.status = 'FAILED' OR ($4 AND m.status = 'DELIVERED'))
      ORDER BY e.occurred_at, e.escrow_id, e.sequence`,
    [endpointId, w.since, w.until, w.includeDelivered],
  );
  return rows.map((r) => r.id);
}

async function listed(
  q: Queryable,
  endpointId: string,
  eventIds: string[],
  dryRun: boolean,
): Promise<{ queued: number; messages: WebhookMessage[] }> {
  const shown = eventIds.slice(0, LISTED);
  const { rows } = await q.query<WebhookMessage>(
    dryRun
      ? // what would be queued: existing messages as they stand, never-sent events as they would be
        `SELECT coalesce(m.id::text, '') AS id, $1::text AS "endpointId", e.event_id::text AS "eventId",
                e.type AS "eventType", e.escrow_id::text AS "escrowId", e.sequence, coalesce(m.status, 'PENDING') AS status,
                coalesce(m.attempts, 0) AS attempts, iso(m.next_attempt_at) AS "nextAttemptAt",
                iso(coalesce(m.created_at, now())) AS "createdAt", iso(m.delivered_at) AS "deliveredAt",
                m.last_error AS "lastError"
           FROM escrow_events e LEFT JOIN webhook_messages m ON m.endpoint_id = $1::uuid AND m.event_id = e.event_id
          WHERE e.event_id = ANY ($2::uuid[]) ORDER BY e.occurred_at, e.escrow_id, e.sequence`
      : `SELECT ${MESSAGE} FROM webhook_messages m WHERE m.endpoint_id = $1::uuid AND m.event_id = ANY ($2::uuid[])
          ORDER BY m.occurred_at, m.escrow_id, m.sequence`,
    [endpointId, shown],
  );
  return { queued: eventIds.length, messages: rows };
}
