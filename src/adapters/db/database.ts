/** What the adapters need from a PostgreSQL connection, implemented by PGlite (embedded) and node-postgres. */
export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Calls `onNotify` for each NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Pool figures for /metrics (PGlite has one in-process connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/** PostgreSQL error fields both drivers expose. */
export interface PgError {
  code?: string;
  constraint?: string;
  message: string;
}

export const isPgError = (e: unknown): e is PgError =>
  typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string';

/** Errors that say "the database (or network) is not there": wait and retry, never dead-letter the command. */
export function isInfrastructureError(err: unknown): boolean {
  if (isPgError(err)) {
    const code = err.code ?? '';
    return /^(08|53|57P|58)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(code);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return /connect|connection|terminat|timeout exceeded when trying to connect/i.test(msg);
}
