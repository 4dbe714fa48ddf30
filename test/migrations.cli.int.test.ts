import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Database } from '../src/adapters/db/database.js';
import { loadMigrations } from '../src/adapters/db/migrate.js';
import { openPostgres } from '../src/adapters/db/postgres.js';
import { loadConfig } from '../src/config/index.js';
import { createEngine } from '../src/main.js';
import { dataDirCli } from './dataDirCli.js';
import { cli as served, serve, stop, type Server } from './dataDirHarness.js';
import { engineKinds } from './harness.js';

// `escrow migrate --status` and `--dry-run` on a database of their own, from nothing: neither applies or audits
// anything; --status exits 1 while a migration is pending or an applied file changed, and 0 on a newer schema (a
// rollback of the code) or on rows applied before checksums were recorded. On the embedded data directory and on
// PostgreSQL (DATABASE_URL, a schema of its own).

interface StatusJson {
  database: string;
  migrations: { version: number; name: string; state: string; appliedAt: string | null; changed: boolean | null }[];
  pending: number;
  changed: number;
  unknown: number;
}

const FILES = loadMigrations();
const LAST = FILES.at(-1)!;

for (const kind of engineKinds()) {
  describe(`escrow migrate --status / --dry-run (${kind})`, () => {
    let env: Record<string, string>;
    let drop: () => Promise<void>;
    /** One statement on the database the CLI uses, from this process (never migrating it on open). */
    let sql: <T>(text: string) => Promise<T[]>;
    const { cli } = dataDirCli(() => env);
    const status = async () => {
      const run = await cli('migrate', '--status', '--json');
      assert.ok(run.out, run.err);
      return { code: run.code, err: run.err, json: JSON.parse(run.out) as StatusJson };
    };

    before(async () => {
      if (kind === 'pglite') {
        const tmp = mkdtempSync(join(tmpdir(), 'escrow-migrate-status-'));
        env = { DATA_DIR: join(tmp, 'data') };
        sql = async <T>(text: string) => {
          const config = loadConfig({ NODE_ENV: 'test', ...env });
          const engine = await createEngine(config, { logger: pino({ level: 'silent' }), migrate: false });
          try {
            return (await engine.db.query(text)).rows as T[];
          } finally {
            await engine.stop();
          }
        };
        drop = () => Promise.resolve(rmSync(tmp, { recursive: true, force: true }));
        return;
      }
      const url = process.env.TEST_DATABASE_URL!;
      const schema = `m_${randomBytes(6).toString('hex')}`;
      const admin = await openPostgres({ url, poolSize: 1, connectionTimeoutMs: 10_000 });
      await admin.exec(`CREATE SCHEMA ${schema}`);
      const db: Database = await openPostgres({ url, poolSize: 2, connectionTimeoutMs: 10_000, schema });
      env = { DATABASE_URL: url, DATABASE_SCHEMA: schema, JWT_SECRET: 'migrate-status-test-'.padEnd(64, 'x') };
      sql = async <T>(text: string) => (await db.query(text)).rows as T[];
      drop = async () => {
        await db.close();
        await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      };
    });
    after(() => drop());

    const auditRows = async () =>
      (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM audit_logs WHERE action = 'migrations.apply'`))[0]!.n;

    it('on an empty database: all pending (exit 1); the dry run lists them and applies nothing', async () => {
      const fresh = await status();
      assert.equal(fresh.code, 1, fresh.err);
      assert.equal(fresh.json.database, kind);
      assert.equal(fresh.json.pending, FILES.length);
      assert.deepEqual(
        fresh.json.migrations.map((m) => [m.name, m.state]),
        FILES.map((m) => [m.name, 'pending']),
      );
      const dry = await cli('migrate', '--dry-run', '--json');
      assert.equal(dry.code, 0, dry.err);
      const would = JSON.parse(dry.out) as { dryRun: true; wouldApply: { name: string; bytes: number }[] };
      assert.equal(would.dryRun, true);
      assert.deepEqual(
        would.wouldApply.map((m) => m.name),
        FILES.map((m) => m.name),
      );
      assert.ok(would.wouldApply.every((m) => m.bytes > 0));
      const table = await cli('migrate', '--dry-run');
      assert.match(table.out, new RegExp(`^${LAST.name.slice(0, 3)}\\s+${LAST.name}\\s+\\d+$`, 'm'));
      assert.match(table.out, new RegExp(`^${FILES.length} would be applied, in this order \\(dry run`, 'm'));
      const [escrows] = await sql<{ t: string | null }>(`SELECT to_regclass('escrows')::text AS t`);
      assert.equal(escrows!.t, null, 'the dry run created nothing');
      assert.equal((await status()).json.pending, FILES.length);
    });

    it('escrow migrate applies them (audited once); then --status exits 0 and the dry run has nothing', async () => {
      const applied = await cli('migrate');
      assert.equal(applied.code, 0, applied.err);
      assert.deepEqual(JSON.parse(applied.out), { applied: FILES.map((m) => m.name), database: kind });
      assert.equal(await auditRows(), 1);
      const now = await status();
      assert.equal(now.code, 0, now.err);
      assert.deepEqual([now.json.pending, now.json.changed, now.json.unknown], [0, 0, 0]);
      assert.ok(now.json.migrations.every((m) => m.state === 'applied' && m.changed === false && m.appliedAt));
      const table = await cli('migrate', '--status');
      assert.equal(table.code, 0);
      assert.match(table.out, /^VERSION\s+NAME\s+STATE\s+APPLIED AT\s+FILE$/m);
      assert.match(
        table.out,
        new RegExp(`^${LAST.name.slice(0, 3)}\\s+${LAST.name}\\s+applied\\s+\\S+Z\\s+same$`, 'm'),
      );
      assert.match(table.out, /^0 pending, 0 changed since applied$/m);
      const dry = await cli('migrate', '--dry-run');
      assert.match(dry.out, /^nothing to apply/);
      assert.equal(await auditRows(), 1, 'neither --status nor --dry-run wrote an audit row');
    });

    it('a newer schema (the code rolled back) is shown and passes; a changed file fails; no checksum passes', async () => {
      await sql(`INSERT INTO schema_migrations (version, name, checksum) VALUES (999, '999_of_a_newer_release', 'x')`);
      const newer = await status();
      assert.equal(newer.code, 0, 'a rollback leaves a newer schema, which this release works with');
      assert.deepEqual(newer.json.migrations.at(-1), {
        version: 999,
        name: '999_of_a_newer_release',
        state: 'unknown',
        appliedAt: newer.json.migrations.at(-1)!.appliedAt,
        changed: null,
      });
      assert.match((await cli('migrate', '--status')).out, /999_of_a_newer_release\s+applied, unknown to this release/);

      await sql(`UPDATE schema_migrations SET checksum = 'f00' WHERE version = ${LAST.version}`);
      const changed = await status();
      assert.equal(changed.code, 1);
      assert.equal(changed.json.changed, 1);
      assert.equal(changed.json.migrations.find((m) => m.name === LAST.name)!.changed, true);
      const table = await cli('migrate', '--status');
      assert.equal(table.code, 1);
      assert.match(table.out, new RegExp(`${LAST.name}\\s+applied\\s+\\S+\\s+CHANGED$`, 'm'));
      assert.match(table.out, /never edited once released/);

      await sql(`UPDATE schema_migrations SET checksum = NULL WHERE version = ${LAST.version}`);
      const unrecorded = await status();
      assert.equal(unrecorded.code, 0, 'a row applied before checksums were recorded is no mismatch');
      assert.equal(unrecorded.json.migrations.find((m) => m.name === LAST.name)!.changed, null);
      assert.match(
        (await cli('migrate', '--status')).out,
        new RegExp(`${LAST.name}\\s+applied\\s+\\S+\\s+no checksum`),
      );
    });

    it('a schema_migrations of an earlier release (no checksum column): --status reads it, migrate adds it', async () => {
      await sql(`DELETE FROM schema_migrations WHERE version = 999`);
      await sql('ALTER TABLE schema_migrations DROP COLUMN checksum');
      const old = await status();
      assert.equal(old.code, 0, old.err);
      assert.ok(old.json.migrations.every((m) => m.state === 'applied' && m.changed === null));
      const again = await cli('migrate');
      assert.deepEqual(JSON.parse(again.out), { applied: [], database: kind });
      const [column] = await sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'checksum'`,
      );
      assert.equal(column!.n, 1);
      assert.equal(await auditRows(), 1, 'applying nothing is not audited');
    });

    it('--status and --dry-run together are a usage error', async () => {
      const both = await cli('migrate', '--status', '--dry-run');
      assert.equal(both.code, 2);
      assert.match(both.err, /'--status' cannot be used with option '--dry-run'/);
    });
  });
}

describe('escrow migrate --status through a running embedded server', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-migrate-served-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' };
    server = await serve(env);
  });
  after(async () => {
    await stop(server);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("answers from the server's admin API with each migration's time and checksum; the dry run lists none", async () => {
    const run = await served(['migrate', '--status', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as StatusJson;
    assert.equal(report.pending, 0);
    assert.equal(report.migrations.length, FILES.length);
    for (const m of report.migrations) {
      assert.equal(m.state, 'applied');
      assert.equal(m.changed, false, `${m.name}: applied by this release, its checksum recorded`);
      assert.match(m.appliedAt ?? '', /^\d{4}-\d\d-\d\dT/);
    }
    const table = await served(['migrate', '--status'], env);
    assert.doesNotMatch(table.stdout, /no applied-at times/);
    const dry = await served(['migrate', '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /"wouldApply": \[\]/);
  });
});
