import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

/** migrations/ at the package root, next to src/ and dist/. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The numbered migrations, in order. Versions only increase and a number is never reused (gaps are fine: 010 was
 * never released): two files of one version are refused, since the runner would apply only the first.
 */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.replace(/\.sql$/, ''),
      sql: readFileSync(dir + f, 'utf8'),
    }));
  migrations.forEach((m, i) => {
    const before = migrations[i - 1];
    if (before?.version === m.version) {
      throw new Error(`migrations ${before.name} and ${m.name} share version ${m.version}: a number is never reused`);
    }
  });
  return migrations;
}

/**
 * The sha256 recorded when a migration is applied, over its SQL without comment-only and blank lines: declaring a
 * contract step afterwards (a `-- contract:` line in the header) or rewording a comment is no change to what ran.
 */
export function migrationChecksum(sql: string): string {
  const statements = sql
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .filter((line) => line !== '' && !/^\s*--/.test(line));
  return createHash('sha256').update(statements.join('\n')).digest('hex');
}

const LOCK = 'SELECT pg_advisory_xact_lock(7262531)';

/**
 * Applies pending numbered migrations, each in its own transaction, under an advisory lock so several processes
 * starting at once apply each migration exactly once. Returns the names applied.
 * (A hand-rolled runner: the libraries we looked at speak only node-postgres, and this must also drive PGlite.)
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  await db.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), checksum text)`);
    // rows applied before checksums were recorded keep NULL: nothing to compare, which is no mismatch
    await tx.exec('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
  });
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      const { rows } = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        migrationChecksum(m.sql),
      ]);
      return true;
    });
    if (done) applied.push(m.name);
  }
  return applied;
}

/** A schema_migrations row: `checksum` is null for rows applied before checksums were recorded. */
export interface AppliedMigration {
  version: number;
  name: string;
  appliedAt: string;
  checksum: string | null;
}

/** The schema_migrations rows in version order; none on a database never migrated. */
export async function appliedMigrations(db: Database): Promise<AppliedMigration[]> {
  const { rows: table } = await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`);
  if (!table[0]?.t) return [];
  // to_jsonb: a table of an earlier release has no checksum column until this release's runner adds it
  const { rows } = await db.query<AppliedMigration>(
    `SELECT version, name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "appliedAt",
            to_jsonb(s) ->> 'checksum' AS checksum
       FROM schema_migrations s ORDER BY version`,
  );
  return rows;
}

/**
 * One migration as `escrow migrate --status` shows it: applied (when), pending, or applied but unknown to this
 * release (a newer schema, e.g. after rolling the code back). `changed`: whether an applied migration's file differs
 * from what was applied (another checksum, or another name under its number); null when there is nothing to compare.
 */
export interface MigrationState {
  version: number;
  name: string;
  state: 'applied' | 'pending' | 'unknown';
  appliedAt: string | null;
  changed: boolean | null;
}

/** This release's files against the database's rows, by version. */
export function migrationStates(files: readonly Migration[], rows: readonly AppliedMigration[]): MigrationState[] {
  const byVersion = new Map(rows.map((r) => [r.version, r]));
  const known = new Set(files.map((m) => m.version));
  const states: MigrationState[] = files.map((m) => {
    const row = byVersion.get(m.version);
    if (!row) return { version: m.version, name: m.name, state: 'pending', appliedAt: null, changed: null };
    const changed =
      row.name !== m.name ? true : row.checksum === null ? null : row.checksum !== migrationChecksum(m.sql);
    return { version: m.version, name: m.name, state: 'applied', appliedAt: row.appliedAt, changed };
  });
  for (const r of rows) {
    if (!known.has(r.version)) {
      states.push({ version: r.version, name: r.name, state: 'unknown', appliedAt: r.appliedAt, changed: null });
    }
  }
  return states.sort((a, b) => a.version - b.version);
}
