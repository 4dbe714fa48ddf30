import type { OperationsQueries } from '../../app/ports/index.js';
import type { Database } from './database.js';
import { SqlDisputeQueries } from './disputeQueries.js';

const PING = 'SELECT 1';
const ESCROWS_BY_STATUS = 'SELECT status, count(*)::int AS n FROM escrows GROUP BY status';
const SETTLEMENTS_BY_STATUS = 'SELECT status, count(*)::int AS n FROM settlements GROUP BY status';

/** The database figures behind /health, /metrics and the status commands. */
export class SqlOperationsQueries implements OperationsQueries {
  private readonly disputes: SqlDisputeQueries;

  constructor(private readonly db: Database) {
    this.disputes = new SqlDisputeQueries(db);
  }

  async ping(): Promise<void> {
    await this.db.query(PING);
  }

  escrowsByStatus(): Promise<Record<string, number>> {
    return this.countByStatus(ESCROWS_BY_STATUS);
  }

  settlementsByStatus(): Promise<Record<string, number>> {
    return this.countByStatus(SETTLEMENTS_BY_STATUS);
  }

  disputesOverdue(now: Date): Promise<{ response: number; sla: number }> {
    return this.disputes.overdueCounts(now);
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return this.db.poolStats();
  }

  private async countByStatus(sql: string): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ status: string; n: number }>(sql);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }
}
