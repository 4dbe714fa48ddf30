import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { Database } from '../src/adapters/db/database.js';
import type { PauseChange, PauseReport } from '../src/app/pause.js';
import { serverBackend } from '../src/cli/server.js';
import { loadConfig } from '../src/config/index.js';
import { createEngine } from '../src/main.js';
import { dataDirCli } from './dataDirCli.js';
import { assertDatabaseVerifies, escrowInput, tableCounts } from './harness.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';

// `escrow pause|resume` and the admin routes' edges: a dry run changes nothing (the database before and after), the
// CLI locally and through a server's admin API, validation as problem+json, and MAINTENANCE_MODE as the start-up
// default of the same switch. PGlite: one process (pause.e2e.test.ts has the replicas).

/** Every table's rows, the pauses included: what a dry run must leave as it was. */
async function counts(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pauses');
  return { ...(await tableCounts(db)), pauses: rows[0]!.n };
}

describe('escrow pause / resume on an embedded data directory', () => {
  let tmp: string;
  let env: Record<string, string>;
  const { cli, withEngine } = dataDirCli(() => env);
  const dbCounts = () => withEngine((e) => counts(e.db));
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-pause-'));
    env = { DATA_DIR: join(tmp, 'data') };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a dry run says what it would pause and changes nothing; then pause, status, resume (audited as the CLI)', async () => {
    const before = await dbCounts();
    const dry = await cli('pause', '--scope', 'payouts', '--reason', 'provider incident', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const would = JSON.parse(dry.out) as PauseChange;
    assert.equal(would.dryRun, true);
    assert.deepEqual(
      would.changed.map((p) => p.scope),
      ['payouts'],
    );
    assert.match(would.changed[0]!.setBy, /^cli:/);
    assert.deepEqual(await dbCounts(), before, 'the dry run wrote nothing');

    const paused = await cli('pause', '--scope', 'all', '--reason', 'RB-05 incident', '--json');
    assert.equal(paused.code, 0, paused.err);
    assert.equal((JSON.parse(paused.out) as PauseChange).changed.length, 2);
    const again = await cli('pause', '--scope', 'intake', '--reason', 'again');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^nothing to pause/m);
    const status = await cli('pause', 'status');
    assert.match(status.out, /^PAUSED payouts paused since \S+ by cli:\S+ \(admin\): RB-05 incident$/m);
    const report = JSON.parse((await cli('pause', 'status', '--json', '--limit', '5')).out) as PauseReport;
    assert.equal(report.paused, true);
    assert.equal(report.history.length, 2);

    const mid = await dbCounts();
    const dryResume = await cli('resume', '--reason', 'fixed', '--dry-run');
    assert.equal(dryResume.code, 0, dryResume.err);
    assert.match(dryResume.out, /^dry run, nothing changed: would be lifted: payouts paused/m);
    assert.deepEqual(await dbCounts(), mid);
    const resumed = JSON.parse(
      (await cli('resume', '--scope', 'intake', '--reason', 'fixed', '--json')).out,
    ) as PauseChange;
    assert.deepEqual(
      resumed.changed.map((p) => [p.scope, p.liftReason]),
      [['intake', 'fixed']],
    );
    assert.equal(resumed.status.payouts?.reason, 'RB-05 incident');
    const audit = await withEngine((e) =>
      e.db.query<{ action: string; actor_id: string }>(
        `SELECT action, actor_id FROM audit_logs WHERE action LIKE 'pause.%' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      audit.rows.map((r) => r.action),
      ['pause.set', 'pause.lift'],
    );
    assert.ok(audit.rows.every((r) => r.actor_id.startsWith('cli:')));
  });

  it('usage errors: no scope, no reason, status with change options, an unknown argument', async () => {
    for (const args of [
      ['pause', '--reason', 'x'],
      ['pause', '--scope', 'all'],
      ['pause', '--scope', 'everything', '--reason', 'x'],
      ['pause', 'status', '--scope', 'all'],
      ['pause', 'now', '--scope', 'all', '--reason', 'x'],
      ['resume'],
      ['resume', '--reason', ' '],
    ]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.err}`);
      assert.equal(run.out, '');
    }
  });
});

describe('the admin routes: through the CLI server backend, dry runs, problems', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite');
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('the CLI via a server: a dry run writes nothing; pause, report, resume', async () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });
    const holder = { pid: process.pid, hostname: 'here', startedAt: '', token: 't', url: s.baseUrl };
    const backend = await serverBackend(config, holder, 'cli:tester');
    const before = await counts(s.testDb.db);
    const dry = await backend.pause({ scope: 'intake', reason: 'gateway down', dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.changed[0]?.setBy, 'cli:tester');
    const dryResume = await backend.resume({ scope: 'all', reason: 'nothing to lift', dryRun: true });
    assert.deepEqual(dryResume.changed, []);
    assert.deepEqual(await counts(s.testDb.db), before, 'dry runs wrote nothing');
    await backend.pause({ scope: 'intake', reason: 'gateway down', dryRun: false });
    assert.equal((await backend.pauseReport(1)).intake?.reason, 'gateway down');
    const resumed = await backend.resume({ scope: 'all', reason: 'gateway back', dryRun: false });
    assert.equal(resumed.changed[0]?.liftedBy, 'cli:tester');
    assert.equal((await counts(s.testDb.db)).pauses, 1);
  });

  it('refuses bad input as problem+json naming the field, and anyone but an admin', async () => {
    const admin = await s.token('ops', 'admin');
    for (const body of [{ scope: 'bogus', reason: 'x' }, { scope: 'all' }, { scope: 'all', reason: '' }]) {
      const res = await s.call<{ code: string }>('POST', '/api/admin/pause', { token: admin, body });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'VALIDATION_ERROR');
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    }
    const bad = await s.call('GET', '/api/admin/pause?limit=0', { token: admin });
    assert.equal(bad.status, 400, bad.text);
    const user = await s.token('buyer-1', 'user');
    const forbidden = await s.call('POST', '/api/admin/pause', { token: user, body: { scope: 'all', reason: 'x' } });
    assert.equal(forbidden.status, 403, forbidden.text);
    assert.equal((await s.call('GET', '/api/admin/pause')).status, 401);
  });
});

describe('MAINTENANCE_MODE=true: the start-up default of the pause', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { MAINTENANCE_MODE: 'true' });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('pauses every scope as system:MAINTENANCE_MODE at start; resume lifts it; a restart pauses again', async () => {
    const admin = await s.token('ops', 'admin');
    const report = (await s.call<PauseReport>('GET', '/api/admin/pause', { token: admin })).body;
    assert.equal(report.payouts?.setBy, 'system:MAINTENANCE_MODE');
    assert.equal(report.intake?.setRole, 'system');
    assert.match(report.intake?.reason ?? '', /^MAINTENANCE_MODE=true at the start of /);
    const buyer = await s.token('buyer-1', 'user');
    const refused = await s.call<{ code: string }>('POST', '/api/escrow', { token: buyer, body: escrowInput() });
    assert.equal(refused.status, 503);
    assert.equal(refused.body.code, 'PAUSED');
    const resumed = await s.call('POST', '/api/admin/resume', { token: admin, body: { reason: 'maintenance done' } });
    assert.equal(resumed.status, 200, resumed.text);
    assert.equal((await s.call('POST', '/api/escrow', { token: buyer, body: escrowInput() })).status, 201);

    // another start with the variable still true (a restart) pauses again
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, MAINTENANCE_MODE: 'true' });
    const restarted = await createEngine(config, {
      db: s.testDb.db,
      clock: s.clock,
      logger: pino({ level: 'silent' }),
      migrate: false,
    });
    await restarted.start([]);
    await restarted.stop();
    const inForce = await s.testDb.db.query(`SELECT scope FROM pauses WHERE lifted_at IS NULL ORDER BY scope`);
    assert.deepEqual(inForce.rows, [{ scope: 'intake' }, { scope: 'payouts' }]);
    const audit = await s.testDb.db.query<{ actor_id: string }>(
      `SELECT actor_id FROM audit_logs WHERE action = 'pause.set' ORDER BY id`,
    );
    assert.deepEqual(
      audit.rows.map((r) => r.actor_id),
      ['system:MAINTENANCE_MODE', 'system:MAINTENANCE_MODE'],
    );
  });
});
