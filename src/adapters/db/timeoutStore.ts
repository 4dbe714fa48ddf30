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

  /**
   * Delivered escrows past their confirmation deadline, and milestone escrows (FUNDS_HELD while their milestones go
   * on) whose earliest delivered milestone is past its own: each half by its partial index.
   */
  async dueConfirmationDeadlines(now: Date, limit: number) {
    const { rows } = await this.db.query<DueTimeout>(
      `SELECT * FROM (
         (SELECT id AS "escrowId", version, iso(auto_refund_at) AS deadline, auto_refund_at FROM escrows
           WHERE status = 'DELIVERED' AND auto_refund_at <= $1 ORDER BY auto_refund_at LIMIT $2)
         UNION ALL
         (SELECT id, version, iso(auto_refund_at), auto_refund_at FROM escrows
           WHERE status = 'FUNDS_HELD' AND auto_refund_at IS NOT NULL AND auto_refund_at <= $1
           ORDER BY auto_refund_at LIMIT $2)) due
       ORDER BY auto_refund_at LIMIT $2`,
      [now.toISOString(), limit],
    );
    return rows.map(({ escrowId, version, deadline }) => ({ escrowId, version, deadline }));
  }

  async nextDeadline(includeConfirmation: boolean) {
    const { rows } = await this.db.query<{ next: string | null }>(
      `SELECT iso(least((SELECT min(expires_at) FROM escrows WHERE status = 'AWAIT_FUNDS'),
                        CASE WHEN $1 THEN (SELECT min(auto_refund_at) FROM escrows WHERE status = 'DELIVERED') END,
                        CASE WHEN $1 THEN (SELECT min(auto_refund_at) FROM escrows
                                            WHERE status = 'FUNDS_HELD' AND auto_refund_at IS NOT NULL) END))
              AS next`,
      [includeConfirmation],
    );
    const next = rows[0]?.next;
    return next ? new Date(next) : null;
  }
}
