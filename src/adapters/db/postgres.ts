import pg from 'pg';
import type { Database, Queryable } from './database.js';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  /** How long a caller waits for a free connection, in ms. */
  connectionTimeoutMs: number;
  /** Sets search_path on every connection (tests isolate each file in its own schema). */
  schema?: string;
  applicationName?: string;
}

const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
  async query<T>(sql: string, params: readonly unknown[] = []) {
    const r = await q.query(sql, params as unknown[]);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? 0 };
  },
  async exec(sql: string) {
    await q.query(sql);
  },
});

export async function openPostgres(opts: PostgresOptions): Promise<Database> {
  const options = [`-c TimeZone=UTC`, opts.schema ? `-c search_path=${opts.schema}` : ''].filter(Boolean).join(' ');
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    connectionTimeoutMillis: opts.connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? 'escrow-services',
    options,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  const base = wrap(pool);
  return {
    kind: 'postgres',
    ...base,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      const client = await pool.connect();
      const handler = (m: pg.Notification) => {
        if (m.channel === channel) onNotify(m.payload ?? '');
      };
      client.on('notification', handler);
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      return async () => {
        client.off('notification', handler);
        await client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
        client.release();
      };
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}
