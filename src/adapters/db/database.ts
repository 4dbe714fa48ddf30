import { DatabaseUnavailableError } from '../../app/ports/databaseUnavailable.js';

/** What the adapters need from a PostgreSQL connection, implemented by PGlite (embedded) and node-postgres. */
export interface Queryable {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<{ rows: T[]; rowCount: number }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** The database stopped answering (`available: false`) or answers again, after `outageMs`. */
export interface AvailabilityChange {
  available: boolean;
  /** What the first failure said (when it stopped answering). */
  error?: string;
  outageMs?: number;
}

export interface ListenOptions {
  /** Called after the connection was lost and LISTEN is back: notifications sent meanwhile are gone, poll now. */
  onReconnect?: () => void;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`; resolves to an unsubscribe function. A lost connection is
   * re-established by itself (PostgreSQL), with backoff.
   */
  listen(channel: string, onNotify: (payload: string) => void, opts?: ListenOptions): Promise<() => Promise<void>>;
  /** Pool figures for /metrics (PGlite has one in-process connection). */
  poolStats(): { total: number; idle: number; waiting: number };
  /** Tells `listener` when the database stops answering and when it answers again (PGlite, in process, never does). */
  onAvailability?(listener: (change: AvailabilityChange) => void): () => void;
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

/**
 * What kind of "not now" a driver error is, or null when it is an answer (a constraint, a syntax error...):
 * `unreachable` — no connection (refused, dropped, the server shutting down or starting); `busy` — every pooled
 * connection is taken for longer than the pool's wait, or the server has no slot left; `timeout` — a statement ran
 * past the statement timeout.
 */
export function databaseUnavailability(err: unknown): 'unreachable' | 'busy' | 'timeout' | null {
  if (err instanceof DatabaseUnavailableError) return err.reason;
  const code = isPgError(err) ? (err.code ?? '') : '';
  if (code === '57014') return 'timeout';
  if (/^53/.test(code)) return 'busy';
  if (
    /^(08|57P|58)/.test(code) ||
    /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code)
  ) {
    return 'unreachable';
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/timeout exceeded when trying to connect/i.test(msg)) return 'busy';
  // node-postgres' query_timeout: the server did not answer at all (a statement timeout is the server's own 57014).
  if (/query read timeout/i.test(msg)) return 'unreachable';
  if (/connect|connection|terminat/i.test(msg) && !code) return 'unreachable';
  return null;
}

/** Errors that say "the database (or network) is not there": wait and retry, never dead-letter the command. */
export function isInfrastructureError(err: unknown): boolean {
  return databaseUnavailability(err) !== null;
}
