import type { ActivityLine, DailyFigures } from '../../app/ports/index.js';
import type { Database } from './database.js';

// seed 000's "AWAIT_FUNDS > 7 days" and "DELIVERED > 7 days", counting only escrows whose deadline has passed too
// (the timeouts role should have moved them): a payment or confirmation window set longer than 7 days is no fault
const AWAITING_FUNDS = `SELECT count(*)::int AS n FROM escrows
  WHERE status = 'AWAIT_FUNDS' AND created_at < $1 AND expires_at < $2`;
const DELIVERED = `SELECT count(*)::int AS n FROM escrows
  WHERE status = 'DELIVERED' AND updated_at < $1 AND auto_refund_at < $2`;
const WEBHOOKS = 'SELECT count(*)::int AS n FROM webhook_events WHERE processed_at IS NULL';
const SUSPENSE = `SELECT count(*)::int AS n FROM suspense_items WHERE status = 'OPEN'`;
const DISPUTES = `SELECT count(*)::int AS n FROM disputes WHERE status <> 'RESOLVED'`;
const CONNECTIONS = `SELECT (SELECT count(*)::int FROM pg_stat_activity) AS used,
  current_setting('max_connections')::int AS max`;
const SIZE = 'SELECT pg_database_size(current_database())::text AS bytes';
const ACTIVITY = `
SELECT currency,
       count(*)::int AS created,
       count(*) FILTER (WHERE status = 'RELEASED')::int AS released,
       count(*) FILTER (WHERE status = 'REFUNDED')::int AS refunded,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM disputes d WHERE d.escrow_id = e.id))::int AS disputed,
       count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
       coalesce(sum(amount) FILTER (WHERE status = 'RELEASED'), 0)::text AS released_volume
  FROM escrows e
 WHERE created_at >= $1
 GROUP BY currency
 ORDER BY currency`;

/** The daily check's figures (seed 003's daily-check.sh queries), each one indexed count. */
export class SqlDailyFigures implements DailyFigures {
  constructor(private readonly db: Database) {}

  awaitingFundsSince(cutoff: Date, now: Date): Promise<number> {
    return this.count(AWAITING_FUNDS, [cutoff.toISOString(), now.toISOString()]);
  }

  deliveredSince(cutoff: Date, now: Date): Promise<number> {
    return this.count(DELIVERED, [cutoff.toISOString(), now.toISOString()]);
  }

  webhooksUnprocessed(): Promise<number> {
    return this.count(WEBHOOKS);
  }

  suspenseOpen(): Promise<number> {
    return this.count(SUSPENSE);
  }

  disputesOpen(): Promise<number> {
    return this.count(DISPUTES);
  }

  async connections(): Promise<{ used: number; max: number } | null> {
    // PGlite is one in-process connection: a share of max_connections means nothing there
    if (this.db.kind === 'pglite') return null;
    const { rows } = await this.db.query<{ used: number; max: number }>(CONNECTIONS);
    return rows[0] ?? null;
  }

  async databaseBytes(): Promise<bigint | null> {
    try {
      const { rows } = await this.db.query<{ bytes: string }>(SIZE);
      return rows[0] ? BigInt(rows[0].bytes) : null;
    } catch {
      // a role without the right to read the size: the check goes on without it
      return null;
    }
  }

  async activity(since: Date): Promise<ActivityLine[]> {
    const { rows } = await this.db.query<Omit<ActivityLine, 'releasedVolume'> & { released_volume: string }>(ACTIVITY, [
      since.toISOString(),
    ]);
    return rows.map(({ released_volume, ...r }) => ({ ...r, releasedVolume: BigInt(released_volume) }));
  }

  private async count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(sql, params);
    return rows[0]?.n ?? 0;
  }
}
