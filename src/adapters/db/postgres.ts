import pg from 'pg';
import { Availability } from './availability.js';
import type { Database, Queryable } from './database.js';
import { PgNotifications } from './pgListener.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** How long a caller waits for a free connection (and a new connection to open), in ms. */
  connectionTimeoutMs: number;
  /** statement_timeout of every pooled connection, in ms (0: none). */
  statementTimeoutMs?: number;
  /** Sets search_path on every connection (tests isolate each file in its own schema). */
  schema?: string;
  applicationName?: string;
}

/** A database that cannot be opened at start, told in one line an operator can act on (printed without a stack). */
export class DatabaseStartupError extends Error {
  override readonly name = 'DatabaseStartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.stack = message;
  }
}

/** How much longer than statement_timeout the client waits for an answer before it gives up on the server. */
const QUERY_TIMEOUT_MARGIN_MS = 2000;

const wrap = (q: pg.Pool | pg.PoolClient, availability: Availability): Queryable => ({
  query<T>(sql: string, params: readonly unknown[] = []) {
    return availability.track(async () => {
      const r = await q.query(sql, params as unknown[]);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
    });
  },
  async exec(sql: string) {
    await availability.track(() => q.query(sql));
  },
});

function clientConfig(opts: PostgresOptions): pg.ClientConfig {
  const options = [
    `-c TimeZone=UTC`,
    opts.schema ? `-c search_path=${opts.schema}` : '',
    opts.statementTimeoutMs ? `-c statement_timeout=${opts.statementTimeoutMs}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return {
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectionTimeoutMs,
    // A peer that vanished without closing the socket (a failover, a network partition) is noticed.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // A server that stops answering without closing (frozen, partitioned) fails a statement soon after it would have
    // timed out there, instead of holding the request for ever.
    ...(opts.statementTimeoutMs ? { query_timeout: opts.statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS } : {}),
    application_name: opts.applicationName ?? 'escrow-services',
    options,
  };
}

export async function openPostgres(opts: PostgresOptions): Promise<Database> {
  const config = clientConfig(opts);
  const pool = new pg.Pool({ ...config, max: opts.poolSize, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw startupError(opts.url, err);
  }
  const availability = new Availability();
  const notifications = new PgNotifications(config, availability);
  return {
    kind: 'postgres',
    ...wrap(pool, availability),
    transaction: (fn) => transaction(pool, availability, fn),
    listen: (channel, onNotify, listenOpts = {}) => notifications.subscribe(channel, onNotify, listenOpts),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    onAvailability: (listener) => availability.subscribe(listener),
    close: async () => {
      await notifications.close();
      await pool.end();
    },
  };
}

/**
 * BEGIN … COMMIT on one pooled connection. While it is checked out the connection has an 'error' listener (the pool
 * only listens on idle ones): a connection lost mid-transaction fails the transaction, not the process, and is
 * destroyed instead of going back to the pool.
 */
async function transaction<T>(pool: pg.Pool, availability: Availability, fn: (tx: Queryable) => Promise<T>) {
  const client = await availability.track(() => pool.connect());
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  const tx = wrap(client, availability);
  try {
    await tx.exec('BEGIN');
    const out = await fn(tx);
    await tx.exec('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken ??= e));
    throw err;
  } finally {
    client.off('error', onError);
    // A broken connection is destroyed; a late 'error' from it must find a listener too.
    if (broken) client.on('error', () => undefined);
    client.release(broken);
  }
}

/** "cannot open PostgreSQL at host:port, database "x": why — what to check", from the URL without its password. */
function startupError(url: string, err: unknown): DatabaseStartupError {
  let where = 'the DATABASE_URL server';
  let database = '';
  let user = '';
  try {
    const u = new URL(url);
    where = `${u.hostname || 'localhost'}:${u.port || '5432'}`;
    database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username);
    user = decodeURIComponent(u.username);
  } catch {
    // an unparsable URL: pg already said why in its error
  }
  const code = (err as { code?: string }).code;
  const said = err instanceof Error ? err.message : String(err);
  const why =
    code === '3D000'
      ? `database "${database}" does not exist — create it (createdb ${database}) or check DATABASE_URL`
      : code === '28P01' || code === '28000'
        ? `${said} — check the user${user ? ` "${user}"` : ''} and password in DATABASE_URL`
        : `${said || code || 'no answer'} — is PostgreSQL running and reachable there? check DATABASE_URL`;
  return new DatabaseStartupError(`cannot open PostgreSQL at ${where}, database "${database}": ${why}`, {
    cause: err,
  });
}
