import type { Database, Queryable } from './database.js';

/** What a slow-query line carries: never the parameters (they may hold personal data). */
export interface SlowQuery {
  duration_ms: number;
  /** The statement's first words, whitespace collapsed. */
  statement: string;
  /** Set when the statement failed (a timeout, a lost connection) after running that long. */
  failed?: true;
}

const FIRST_WORDS = 8;

/** "SELECT escrow_commit_batch(ARRAY[$1::text, …], $3) AS out" → its first words, for a log line that a runbook greps. */
export function statementHead(sql: string): string {
  const words = sql
    .replace(/--[^\n]*/g, ' ')
    .trim()
    .split(/\s+/);
  const head = words.slice(0, FIRST_WORDS).join(' ');
  return words.length > FIRST_WORDS ? `${head} …` : head;
}

/**
 * The same database, with every statement that takes `thresholdMs` or longer reported to `onSlow` (the composition
 * root logs it at warn as "slow query"); a statement inside a transaction is measured on its own.
 */
export function withSlowQueryLog(db: Database, thresholdMs: number, onSlow: (q: SlowQuery) => void): Database {
  const timed = <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const report = (failed: boolean) => {
      const ms = performance.now() - started;
      if (ms < thresholdMs) return;
      onSlow({
        duration_ms: Math.round(ms * 10) / 10,
        statement: statementHead(sql),
        ...(failed ? { failed: true as const } : {}),
      });
    };
    return run().then(
      (out) => {
        report(false);
        return out;
      },
      (err: unknown) => {
        report(true);
        throw err;
      },
    );
  };
  const measured = (q: Queryable): Queryable => ({
    query: (sql, params) => timed(sql, () => q.query(sql, params)),
    exec: (sql) => timed(sql, () => q.exec(sql)),
  });
  return {
    ...db,
    ...measured(db),
    transaction: (fn) => db.transaction((tx) => fn(measured(tx))),
  };
}
