import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from './database.js';

const wrap = (q: PGlite | Transaction): Queryable => ({
  async query<T>(sql: string, params: readonly unknown[] = []) {
    const r = await q.query<T>(sql, params as unknown[]);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  },
  async exec(sql: string) {
    await q.exec(sql);
  },
});

/**
 * PGlite: PostgreSQL compiled to WebAssembly, in-process. `dataDir` is a directory (created on first run)
 * or `memory://` for a throwaway database. One connection: PGlite serialises queries and transactions itself.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  await db.exec(`SET TIME ZONE 'UTC'`);
  const base = wrap(db);
  return {
    kind: 'pglite',
    ...base,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onNotify) {
      const unsub = await db.listen(channel, onNotify);
      return unsub;
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: () => db.close(),
  };
}
