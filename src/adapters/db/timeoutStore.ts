import type { DueTimeout, TimeoutStore } from '../../app/ports/index.js';
import type { Database } from './database.js';

/** Escrows past their payment or confirmation deadline, for the timeout processor. */
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
