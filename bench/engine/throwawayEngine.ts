import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import type { Database } from '../../src/adapters/db/database.js';
import { loadConfig } from '../../src/config/index.js';
import { createEngine, openDatabase, type Engine } from '../../src/main.js';

export interface ThrowawayEngine {
  engine: Engine;
  db: Database;
  schema: string;
  /** Stops the engine, closes the pool and drops the throwaway schema. */
  close(): Promise<void>;
}

/**
 * An engine with silent logs (logging per command would cost more than the command: the benches measure the
 * engine, not pino) and the SANDBOX rail, on a fresh, migrated schema `<prefix>_<random>` of `url`.
 */
export async function openThrowawayEngine(
  url: string,
  prefix: string,
  env: Record<string, string>,
): Promise<ThrowawayEngine> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url, application_name: 'bench-admin' });
  await admin.connect();
  let db: Database | null = null;
  let engine: Engine | null = null;
  const close = async () => {
    await engine?.stop();
    await db?.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  };
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const config = loadConfig({
      NODE_ENV: 'development',
      LOG_LEVEL: 'silent',
      DATABASE_URL: url,
      ESCROW_RAILS: 'SANDBOX',
      ...env,
    });
    db = await openDatabase(config, schema);
    engine = await createEngine(config, { db, logger: pino({ level: 'silent' }), migrate: true });
    return { engine, db, schema, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}
