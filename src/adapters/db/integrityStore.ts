import type { IntegrityStore } from '../../app/ports/index.js';
import type { Database } from './database.js';

const SUSPENSE_PROBLEMS = `
  WITH held AS (SELECT currency, sum(amount) AS amount FROM ledger_postings
                 WHERE account_id = 'platform:suspense' GROUP BY currency),
       open AS (SELECT currency, sum(amount) AS amount FROM suspense_items WHERE status = 'OPEN' GROUP BY currency),
       resolutions AS (
         SELECT data ->> 'suspenseId' AS id FROM escrow_events WHERE type = 'SuspenseRefunded'
         UNION ALL
         SELECT jsonb_array_elements_text(data -> 'suspenseIds') FROM escrow_events WHERE type = 'SuspenseApplied')
  SELECT 'suspense account holds ' || COALESCE(h.amount, 0) || ' ' || COALESCE(h.currency, o.currency) ||
         ' but the open suspense items add up to ' || COALESCE(o.amount, 0) AS problem
    FROM held h FULL JOIN open o ON o.currency = h.currency
   WHERE COALESCE(h.amount, 0) <> COALESCE(o.amount, 0)
  UNION ALL
  SELECT 'suspense account is negative in ' || currency || ' (' || amount || ')' FROM held WHERE amount < 0
  UNION ALL
  SELECT 'suspense item ' || id || ' was resolved ' || count(*) || ' times' FROM resolutions GROUP BY id
  HAVING count(*) > 1
  LIMIT 1000`;

/** The integrity queries behind `escrow verify`. */
export class SqlIntegrityStore implements IntegrityStore {
  constructor(private readonly db: Database) {}

  async escrowIdsAfter(afterId: string | null, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM escrows WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => r.id);
  }

  async escrowCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
    return rows[0]?.n ?? 0;
  }

  async unbalancedTransactions() {
    const { rows } = await this.db.query<{ transactionId: string; currency: string; sum: string }>(
      `SELECT transaction_id AS "transactionId", currency, sum(amount)::text AS sum
         FROM ledger_postings GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
    );
    return rows;
  }

  async suspenseProblems(): Promise<string[]> {
    const { rows } = await this.db.query<{ problem: string }>(SUSPENSE_PROBLEMS);
    return rows.map((r) => r.problem);
  }

  async crossReferenceErrors(): Promise<string[]> {
    const { rows } = await this.db.query<{ problem: string }>(
      `SELECT 'posting ' || p.id || ' is on escrow ' || p.escrow_id || ' but its event is on ' || e.escrow_id AS problem
         FROM ledger_postings p JOIN escrow_events e ON e.event_id = p.transaction_id WHERE e.escrow_id <> p.escrow_id
       UNION ALL
       SELECT 'outbox row ' || o.id || ' is on escrow ' || o.escrow_id || ' but its event is on ' || e.escrow_id
         FROM outbox o JOIN escrow_events e ON e.event_id = o.event_id WHERE e.escrow_id <> o.escrow_id
       UNION ALL
       SELECT 'posting ' || p.id || ' belongs to no event (transaction ' || p.transaction_id || ')'
         FROM ledger_postings p WHERE NOT EXISTS (SELECT 1 FROM escrow_events e WHERE e.event_id = p.transaction_id)
       UNION ALL
       SELECT 'posting ' || p.id || ' is on unknown account ' || p.account_id
         FROM ledger_postings p WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id)
       UNION ALL
       SELECT 'outbox row ' || o.id || ' points at no event'
         FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM escrow_events e WHERE e.event_id = o.event_id)
       UNION ALL
       SELECT 'processed command ' || c.command_id || ' is on unknown escrow ' || c.escrow_id
         FROM processed_commands c
        WHERE NOT c.rejected AND NOT EXISTS (SELECT 1 FROM escrows e WHERE e.id = c.escrow_id)
       UNION ALL
       SELECT 'audit row ' || a.id || ' is on unknown escrow ' || a.escrow_id
         FROM audit_logs a WHERE a.escrow_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM escrows e WHERE e.id = a.escrow_id)
       UNION ALL
       SELECT 'event ' || event_id || ' has ' || count(*) || ' outbox rows' FROM outbox GROUP BY event_id HAVING count(*) > 1
       UNION ALL
       SELECT 'event ' || e.event_id || ' has no outbox row'
         FROM escrow_events e WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.event_id)
       UNION ALL
       SELECT 'event ' || e.event_id || ' has no processed command ' || e.command_id
         FROM escrow_events e WHERE NOT EXISTS (SELECT 1 FROM processed_commands c WHERE c.command_id = e.command_id)
       LIMIT 1000`,
    );
    return rows.map((r) => r.problem);
  }
}
