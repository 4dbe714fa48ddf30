import type { WebhookStore } from '../../app/ports/index.js';
import type { Database } from './database.js';

/** Provider webhooks as received (webhook_events): processed, or failed and waiting for a retry. */
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
