import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { CheckItem, ItemStatus } from '../app/dailyCheck.js';
import type { Database } from '../adapters/db/database.js';
import { liveDataDirHolder } from '../adapters/db/dataDirLock.js';
import { SqlMaintenanceStore } from '../adapters/db/maintenanceStore.js';
import { loadMigrations } from '../adapters/db/migrate.js';
import { openPglite } from '../adapters/db/pglite.js';
import { openPostgres } from '../adapters/db/postgres.js';
import { S3FileStorage } from '../adapters/storage/s3Storage.js';
import type { Config } from '../config/index.js';
import { kafkaTopicsItem } from './deployCheckKafka.js';
import { railItems } from './deployCheckRails.js';
import { failure, guard, messageOf, type Guarded } from './deployCheckGuard.js';

export type { CheckItem, ItemStatus } from '../app/dailyCheck.js';

/** `escrow check --deploy`: the deployment guide's pre-deployment checklist and post-deployment verification. */
export interface DeployCheckReport {
  ok: boolean;
  at: string;
  counts: Record<ItemStatus, number>;
  items: CheckItem[];
}

/** How long each item waits for its service: an unreachable one fails its item instead of hanging the check. */
export const DEPLOY_CHECK_TIMEOUT_MS = 10_000;

/** How long an embedded data directory may take to open (a WebAssembly PostgreSQL starting in process). */
const PGLITE_OPEN_MS = 120_000;
/** The guide's PostgreSQL floor, as server_version_num. */
const MIN_POSTGRES = 140_000;
/** Tables of the first migration, which every later one builds on (the guide's "Required Tables"). */
const CORE_TABLES = [
  'escrows',
  'escrow_events',
  'outbox',
  'audit_logs',
  'ledger_postings',
  'settlements',
  'deliveries',
  'disputes',
  'webhook_events',
];

const DATABASE_Q = 'Database reachable: PostgreSQL 14+, schema and tables there';
const MIGRATIONS_Q = 'Migrations: none pending for this release';

/**
 * Runs every item, each under `timeoutMs`; `ok` is false when any failed. Reads only: nothing is created,
 * migrated or written (an embedded data directory that does not exist is not created).
 */
export async function runDeployCheck(
  config: Config,
  opts: { timeoutMs?: number; now?: () => Date } = {},
): Promise<DeployCheckReport> {
  const ms = opts.timeoutMs ?? DEPLOY_CHECK_TIMEOUT_MS;
  // the database first: opening PGlite holds the event loop for seconds, which must not count against other items
  const database = await databaseItems(config, ms);
  const groups = await Promise.all([
    kafkaTopicsItem(config, ms).then((i) => [i]),
    railItems(config, ms),
    redisItem(config, ms).then((i) => [i]),
    s3Item(config, ms).then((i) => (i ? [i] : [])),
  ]);
  const items = [...database, ...groups.flat()];
  const counts: Record<ItemStatus, number> = { pass: 0, warn: 0, fail: 0, 'n/a': 0 };
  for (const i of items) counts[i.status]++;
  return { ok: counts.fail === 0, at: (opts.now ?? (() => new Date()))().toISOString(), counts, items };
}

/** `database` and `migrations`, over one connection opened without migrating. */
async function databaseItems(config: Config, ms: number): Promise<CheckItem[]> {
  const db = config.database;
  if (db.mode === 'pglite' && !db.dataDir.startsWith('memory://')) {
    const holder = liveDataDirHolder(db.dataDir);
    if (holder) {
      // not checked here (the server owns the directory): a warning, so that nothing passes unverified
      const value = `embedded data directory ${db.dataDir} is held by a running server (pid ${holder.pid})`;
      const next = 'escrow health (the server answers for its database), or stop it and run this again';
      return [
        { name: 'database', question: DATABASE_Q, status: 'warn', value: `${value}; not checked`, next },
        {
          name: 'migrations',
          question: MIGRATIONS_Q,
          status: 'warn',
          value: `${value}, which migrates at start`,
          next,
        },
      ];
    }
    // only an existing database is opened: PGlite would create one in an empty directory (a volume, jwt-secret alone)
    if (!existsSync(join(db.dataDir, 'PG_VERSION'))) {
      const next = 'escrow migrate (or set DATABASE_URL to PostgreSQL 14+)';
      return [
        failure('database', DATABASE_Q, `no embedded database at ${db.dataDir}`, next),
        failure(
          'migrations',
          MIGRATIONS_Q,
          `all ${loadMigrations().length} pending (no database yet)`,
          'escrow migrate',
        ),
      ];
    }
  }
  // PGlite runs in this process (nothing to wait for but its start, seconds of CPU): the timeout is PostgreSQL's
  return guard<CheckItem[]>(db.mode === 'postgres' ? ms : Math.max(ms, PGLITE_OPEN_MS), async (onAbandon) => {
    const opened =
      db.mode === 'postgres'
        ? openPostgres({
            url: db.url,
            poolSize: 1,
            connectionTimeoutMs: Math.min(db.timeoutMs, ms),
            statementTimeoutMs: ms,
            ...(db.schema ? { schema: db.schema } : {}),
          })
        : openPglite(db.dataDir);
    // a late open after the item gave up is closed (never left holding a pool or the data directory's lock)
    onAbandon(() => opened.then((d) => d.close()));
    const conn = await opened;
    try {
      return [await databaseItem(conn, config), await migrationsItem(conn)];
    } finally {
      await conn.close();
    }
  }).catch((err: unknown) => {
    const next =
      db.mode === 'postgres'
        ? 'check DATABASE_URL: psql "$DATABASE_URL" -c "SELECT version();"'
        : `check DATA_DIR (${db.dataDir})`;
    return [
      failure('database', DATABASE_Q, messageOf(err), next),
      failure('migrations', MIGRATIONS_Q, 'not checked: the database did not answer', next),
    ];
  });
}

async function databaseItem(db: Database, config: Config): Promise<CheckItem> {
  const { rows } = await db.query<{ num: string; version: string; schema: string | null }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version,
            current_schema() AS schema`,
  );
  const { num, version, schema } = rows[0]!;
  const base = { name: 'database', question: DATABASE_Q };
  const wanted = config.database.mode === 'postgres' ? config.database.schema : undefined;
  if (schema === null) {
    const what = wanted ? `schema ${wanted} does not exist` : 'no schema on the search_path';
    return failure(base.name, base.question, `PostgreSQL ${version}: ${what}`, 'create it, then escrow migrate');
  }
  const { rows: absent } = await db.query<{ t: string }>(
    'SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL',
    [CORE_TABLES],
  );
  if (absent.length > 0) {
    const tables = absent.map((r) => r.t).join(', ');
    const value = `PostgreSQL ${version}, schema ${schema}: tables missing: ${tables}`;
    return failure(base.name, base.question, value, 'escrow migrate');
  }
  const tables = `schema ${schema}, ${CORE_TABLES.length} core tables reachable`;
  if (db.kind === 'pglite') {
    const embedded = `embedded PGlite (PostgreSQL ${version} in process), ${tables}`;
    if (config.nodeEnv === 'production') {
      return failure(base.name, base.question, `${embedded}: production needs PostgreSQL 14+`, 'set DATABASE_URL');
    }
    return { ...base, status: 'pass', value: `${embedded}; production runs on PostgreSQL 14+ (DATABASE_URL)` };
  }
  if (Number(num) < MIN_POSTGRES) {
    const next = 'upgrade the server: the deployment guide requires PostgreSQL 14+';
    return failure(base.name, base.question, `PostgreSQL ${version}: 14 or later required`, next);
  }
  return { ...base, status: 'pass', value: `PostgreSQL ${version}, ${tables}` };
}

/**
 * Pending migrations fail, and so does an applied one whose file changed since (what `escrow migrate --status` exits
 * 1 for); applied ones this release does not know only warn (a rollback under expand/contract).
 */
async function migrationsItem(db: Database): Promise<CheckItem> {
  const { installed, pending, migrations } = await new SqlMaintenanceStore(db).migrations(false);
  const unknown = migrations.filter((m) => m.state === 'unknown').map((m) => m.name);
  const changed = migrations.filter((m) => m.changed === true).map((m) => m.name);
  const base = { name: 'migrations', question: MIGRATIONS_Q };
  if (pending.length > 0) {
    return failure(base.name, base.question, `${pending.length} pending: ${pending.join(', ')}`, 'escrow migrate');
  }
  if (changed.length > 0) {
    const value = `${changed.length} changed since applied (checksum): ${changed.join(', ')}`;
    return failure(base.name, base.question, value, 'escrow migrate --status; a released migration is never edited');
  }
  if (unknown.length > 0) {
    return {
      ...base,
      status: 'warn',
      value:
        `${installed.length} applied, ${unknown.length} not known to this release: ${unknown.join(', ')} ` +
        '(a newer schema: fine after a rollback under expand/contract)',
      next: 'nothing, if this release is a rollback; else deploy the release that has these migrations',
    };
  }
  return { ...base, status: 'pass', value: `${installed.length} applied, none pending` };
}

const REDIS_Q = 'Redis (REDIS_URL) answers PING';

/** PING over a connection of its own: no retries, no offline queue (an unreachable Redis fails at once). */
async function redisItem(config: Config, ms: number): Promise<CheckItem> {
  const url = config.http.redisUrl;
  const base = { name: 'redis', question: REDIS_Q };
  if (!url)
    return { ...base, status: 'n/a', value: 'REDIS_URL is not set (idempotency and rate limits in PostgreSQL)' };
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: ms,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let said: unknown; // the connection's own error (ECONNREFUSED…), told through the item, never unhandled
  redis.on('error', (err: unknown) => void (said ??= err));
  const run: Guarded<CheckItem> = async (onAbandon) => {
    onAbandon(() => redis.disconnect());
    await redis.connect();
    const answer = await redis.ping();
    return { ...base, status: answer === 'PONG' ? 'pass' : 'fail', value: `PING answered ${answer}` };
  };
  try {
    return await guard(ms, run);
  } catch (err) {
    const next = 'check REDIS_URL (redis-cli -u "$REDIS_URL" ping); is Redis running and reachable?';
    const why = messageOf(said ?? err);
    return failure(base.name, base.question, `Redis at ${redactUrl(url)} does not answer: ${why}`, next);
  } finally {
    redis.disconnect();
  }
}

const S3_Q = 'Evidence and contract files bucket (AWS_S3_BUCKET) reachable';

/** HeadBucket through the file store adapter (its own timeout); absent with local file storage. */
async function s3Item(config: Config, ms: number): Promise<CheckItem | null> {
  if (config.storage.kind !== 's3') return null;
  const { bucket } = config.storage.s3;
  const store = new S3FileStorage({ ...config.storage.s3, checkTimeoutMs: ms });
  try {
    await guard(ms, () => store.check());
    return { name: 's3', question: S3_Q, status: 'pass', value: `bucket ${bucket} answers` };
  } catch (err) {
    const next = 'check AWS_S3_BUCKET, AWS_REGION and the credentials (aws s3api head-bucket --bucket …)';
    return failure('s3', S3_Q, `bucket ${bucket}: ${messageOf(err)}`, next);
  } finally {
    store.destroy();
  }
}

/** A URL without its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
