import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { migrate } from '../adapters/db/migrate.js';
import { openPglite } from '../adapters/db/pglite.js';
import { openPostgres } from '../adapters/db/postgres.js';
import { withSlowQueryLog } from '../adapters/db/slowQueries.js';
import { withErrorCount, type DatabaseErrorKind } from '../adapters/db/errorCount.js';
import type { Config } from '../config/index.js';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite data directory. */
export async function openDatabase(config: Config, schema?: string): Promise<Database> {
  const s = schema ?? (config.database.mode === 'postgres' ? config.database.schema : undefined);
  return config.database.mode === 'postgres'
    ? openPostgres({
        url: config.database.url,
        poolSize: config.database.poolSize,
        connectionTimeoutMs: config.database.timeoutMs,
        statementTimeoutMs: config.env.DATABASE_STATEMENT_TIMEOUT_MS,
        ...(s ? { schema: s } : {}),
      })
    : openPglite(config.database.dataDir);
}

/**
 * The engine's view of its database: statements over SLOW_QUERY_MS logged at warn as "slow query" (duration and
 * first words, never parameters), and one line when the database stops answering and one when it is back (instead
 * of a stack per request or per worker tick). Each failed statement or transaction is told to `onError` (db_errors_total).
 */
export function observedDatabase(
  db: Database,
  config: Config,
  logger: Logger,
  onError?: (kind: DatabaseErrorKind) => void,
): Database {
  db.onAvailability?.((change) => {
    if (!change.available) {
      logger.error({ error: change.error }, 'database unavailable: answering 503 and retrying until it is back');
      return;
    }
    logger.warn({ outage_ms: change.outageMs }, 'database available again');
  });
  const threshold = config.env.SLOW_QUERY_MS;
  const counted = onError ? withErrorCount(db, onError) : db;
  return threshold > 0 ? withSlowQueryLog(counted, threshold, (q) => logger.warn(q, 'slow query')) : counted;
}

/** Applies pending migrations, logging which. */
export async function migrateOnStart(db: Database, logger: Logger): Promise<void> {
  const applied = await migrate(db);
  if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
}
