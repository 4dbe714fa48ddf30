import type { RawWebhook, StoredWebhook, WebhookSelection, WebhookStore } from '../../app/ports/index.js';
import type { Database } from './database.js';

const COLUMNS = `provider, event_id AS "eventId", event_type AS type, escrow_id AS "escrowId", payload,
  raw_body AS "rawBody", headers, attempts, last_error AS "lastError", outcome, iso(received_at) AS "receivedAt",
  iso(processed_at) AS "processedAt"`;

type Row = Omit<StoredWebhook, 'raw'> & { rawBody: string | null; headers: Record<string, string> | null };

const stored = ({ rawBody, headers, ...r }: Row): StoredWebhook => ({
  ...r,
  raw: rawBody === null ? null : { body: rawBody, headers: headers ?? {} },
});

/** Provider webhooks as received (webhook_events): processed, or failed and waiting for a retry. */
export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly db: Database) {}

  async recordProcessed(
    provider: string,
    eventId: string,
    type: string,
    payload: unknown,
    outcome: string,
    raw: RawWebhook | null,
    escrowId: string | null = null,
  ) {
    await this.db.query(
      `INSERT INTO webhook_events (provider, event_id, event_type, payload, attempts, processed_at, outcome, raw_body,
                                   headers, escrow_id)
       VALUES ($1, $2, $3, $4, 1, now(), $5, $6, $7, $8)
       ON CONFLICT (provider, event_id) DO UPDATE SET processed_at = now(), outcome = excluded.outcome,
         attempts = webhook_events.attempts + 1, last_error = NULL,
         raw_body = coalesce(webhook_events.raw_body, excluded.raw_body),
         headers = coalesce(webhook_events.headers, excluded.headers),
         escrow_id = coalesce(excluded.escrow_id, webhook_events.escrow_id)`,
      [provider, eventId, type, JSON.stringify(payload), outcome, raw?.body ?? null, json(raw), escrowId],
    );
  }

  async recordFailure(
    provider: string,
    eventId: string,
    type: string,
    payload: unknown,
    error: string,
    raw: RawWebhook | null,
    escrowId: string | null = null,
  ) {
    // the escrow only when it exists (a command refused with ESCROW_NOT_FOUND names one that does not)
    await this.db.query(
      `INSERT INTO webhook_events
         (provider, event_id, event_type, payload, attempts, last_error, raw_body, headers, escrow_id)
       VALUES ($1, $2, $3, $4, 1, $5, $6, $7, (SELECT id FROM escrows WHERE id = $8::uuid))
       ON CONFLICT (provider, event_id) DO UPDATE SET attempts = webhook_events.attempts + 1,
         last_error = excluded.last_error, raw_body = coalesce(webhook_events.raw_body, excluded.raw_body),
         headers = coalesce(webhook_events.headers, excluded.headers),
         escrow_id = coalesce(excluded.escrow_id, webhook_events.escrow_id)
       WHERE webhook_events.processed_at IS NULL`,
      [provider, eventId, type, JSON.stringify(payload), error.slice(0, 2000), raw?.body ?? null, json(raw), escrowId],
    );
  }

  async unprocessed(s: WebhookSelection) {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM webhook_events
        WHERE processed_at IS NULL AND ($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR event_id = $3)
          AND ($4::timestamptz IS NULL OR received_at >= $4)
        ORDER BY received_at, provider, event_id LIMIT $1`,
      [s.limit, s.provider ?? null, s.eventId ?? null, s.since ?? null],
    );
    return rows.map(stored);
  }

  async find(provider: string, eventId: string) {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM webhook_events WHERE provider = $1 AND event_id = $2`,
      [provider, eventId],
    );
    return rows[0] ? stored(rows[0]) : null;
  }
}

const json = (raw: RawWebhook | null) => (raw ? JSON.stringify(raw.headers) : null);
