import { databaseUnavailability, isPgError, type Database, type Queryable } from './database.js';

/** What kind of database error a failure was (db_errors_total{kind}). */
export type DatabaseErrorKind = 'unreachable' | 'busy' | 'timeout' | 'other';

/**
 * The kind of a database failure, or null when the failure is not the database's (a domain refusal or a version
 * conflict thrown inside a transaction): unreachable, busy (no pooled connection in time, no server slot), timeout
 * (the statement timeout), other (any other SQLSTATE the server answered: a constraint, a trigger's refusal).
 */
export function databaseErrorKind(err: unknown): DatabaseErrorKind | null {
  const unavailable = databaseUnavailability(err);
  if (unavailable) return unavailable;
  return isPgError(err) && /^[0-9A-Z]{5}$/.test(err.code ?? '') ? 'other' : null;
}

/**
 * The same database, each failed statement or transaction reported once to `onError` with its kind: statements run
 * on the database itself, and transactions as a whole (a statement failing inside one fails the transaction, which
 * is what is counted; a failure the transaction's own code handles, such as a savepoint retry, is not).
 */
export function withErrorCount(db: Database, onError: (kind: DatabaseErrorKind) => void): Database {
  const counted = <T>(run: () => Promise<T>): Promise<T> =>
    run().catch((err: unknown) => {
      const kind = databaseErrorKind(err);
      if (kind) onError(kind);
      throw err;
    });
  const top: Queryable = {
    query: (sql, params) => counted(() => db.query(sql, params)),
    exec: (sql) => counted(() => db.exec(sql)),
  };
  return { ...db, ...top, transaction: (fn) => counted(() => db.transaction(fn)) };
}
