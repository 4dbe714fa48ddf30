import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { acquireDataDirLock } from './dataDirLock.js';
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
 * A directory is opened under its exclusive lock (dataDirLock.ts): two processes on one directory lose data, so a
 * second opener is refused (DataDirLockedError, naming the holder); the lock is released by `close`.
 */
export async function openPglite(dataDir: string): Promise<Database> {
  let lock: { release: () => void } | undefined;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDataDirLock(dataDir);
  }
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir);
    await db.exec(`SET TIME ZONE 'UTC'`);
  } catch (err) {
    lock?.release();
    throw err;
  }
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
    close: async () => {
      try {
        await db.close();
      } finally {
        lock?.release();
      }
    },
  };
}
