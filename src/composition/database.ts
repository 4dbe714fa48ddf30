import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { migrate } from '../adapters/db/migrate.js';
import { openPglite } from '../adapters/db/pglite.js';
import { openPostgres } from '../adapters/db/postgres.js';
import type { Config } from '../config/index.js';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite data directory. */
export async function openDatabase(config: Config, schema?: string): Promise<Database> {
  const s = schema ?? (config.database.mode === 'postgres' ? config.database.schema : undefined);
  return config.database.mode === 'postgres'
    ? openPostgres({
        url: config.database.url,
        poolSize: config.database.poolSize,
        connectionTimeoutMs: config.database.timeoutMs,
        ...(s ? { schema: s } : {}),
      })
    : openPglite(config.database.dataDir);
}

/** Applies pending migrations, logging which. */
export async function migrateOnStart(db: Database, logger: Logger): Promise<void> {
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
}
