import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ReconciliationReport } from '../src/app/reconciler.js';
import { loadConfig } from '../src/config/index.js';
import { dataDirCli } from './dataDirCli.js';
import { runCli } from '../src/cli/program.js';
import { createEngine, type Engine } from '../src/main.js';
import { actors, assertDatabaseVerifies, engineKinds, escrowInput, fundedEscrow, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';
import { StripeDriver } from './rails/drivers.js';

// `escrow reconcile` and POST /api/admin/reconcile run the reconciler on demand (SPEC §6, §8). With only the SANDBOX
// rail — which keeps no record at a provider — the report has nothing to compare: no mismatch, exit 0.

const REPORT_KEYS = ['at', 'checked', 'dryRun', 'mismatches', 'recovered', 'treasury'];

const auditRows = async (engine: Engine) =>
  (
    await engine.db.query<{ actor_id: string; actor_role: string; details: Record<string, unknown> }>(
      `SELECT actor_id, actor_role, details FROM audit_logs WHERE action = 'reconcile.run' ORDER BY id`,
    )
  ).rows;

for (const kind of engineKinds()) {
  describe(`POST /api/admin/reconcile (${kind}, SANDBOX only)`, () => {
    let s: TestServer;
    let admin: string;

    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
    });
    after(() => s.close());

    it('answers the report: empty with only the sandbox; audited unless a dry run', async () => {
      await fundedEscrow(s.engine);
      const before = await tableCounts(s.engine.db);
      const dry = await s.call<ReconciliationReport>('POST', '/api/admin/reconcile', {
        token: admin,
        body: { dryRun: true },
      });
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual(Object.keys(dry.body).sort(), REPORT_KEYS);
      assert.equal(dry.body.dryRun, true);
      assert.deepEqual(dry.body.mismatches, []);
      assert.deepEqual(dry.body.recovered, { payments: 0, settlements: 0 });
      assert.equal(dry.body.checked.funded, 1, 'the funded escrow was looked at');
      assert.deepEqual(await tableCounts(s.engine.db), before, 'a dry run writes nothing, not even an audit row');

      const run = await s.call<ReconciliationReport>('POST', '/api/admin/reconcile', {
        token: admin,
        body: { windowHours: 48, reason: 'after the webhook outage' },
      });
      assert.equal(run.status, 200, run.text);
      assert.equal(run.body.dryRun, false);
      assert.deepEqual(run.body.mismatches, []);
      for (const t of run.body.treasury) assert.equal(t.status, 'unknown', 'the sandbox has no balance to compare');
      const audits = await auditRows(s.engine);
      assert.equal(audits.length, 1);
      assert.equal(audits[0]!.actor_id, 'ops-admin');
      assert.deepEqual(audits[0]!.details, { reason: 'after the webhook outage', dryRun: false, windowHours: 48 });
      await assertDatabaseVerifies(s.engine);
    });

    it('bad input is a problem and changes nothing; only admins may run it', async () => {
      const before = await tableCounts(s.engine.db);
      for (const body of [
        { windowHours: 0 },
        { windowHours: 721 },
        { windowHours: '24' },
        { dryRun: 'yes' },
        { x: 1 },
      ]) {
        const res = await s.call('POST', '/api/admin/reconcile', { token: admin, body });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const user = await s.token('buyer-1', 'user');
      assert.equal((await s.call('POST', '/api/admin/reconcile', { token: user, body: {} })).status, 403);
      assert.deepEqual(await tableCounts(s.engine.db), before);
    });
  });
}

describe('escrow reconcile (CLI, PGlite data directory, SANDBOX only)', () => {
  let tmp: string;
  let env: Record<string, string>;

  const { withEngine, cli } = dataDirCli(() => env);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-reconcile-'));
    env = { DATA_DIR: join(tmp, 'data') };
    await withEngine((e) => fundedEscrow(e));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('--json prints the report; nothing to reconcile: exit 0; audited unless a dry run', async () => {
    const dry = await cli('reconcile', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const report = JSON.parse(dry.out) as ReconciliationReport;
    assert.deepEqual(Object.keys(report).sort(), REPORT_KEYS);
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.mismatches, []);
    assert.deepEqual(Object.keys(report.checked).sort(), [
      'awaitingFunds',
      'funded',
      'pendingSettlements',
      'succeededSettlements',
    ]);
    assert.equal(report.checked.funded, 1);

    const human = await cli('reconcile', '--window-hours', '48', '--reason', 'nightly check');
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /^reconciled at \S+: checked 0 awaiting funds, 1 funded, /);
    assert.match(human.out, /0 mismatch\(es\), 0 not applied\n/);
    assert.doesNotMatch(human.out, /^\{/, 'lines for a person, not JSON');

    await withEngine(async (e) => {
      const audits = await auditRows(e);
      assert.equal(audits.length, 1, 'the run, not the dry run');
      assert.match(audits[0]!.actor_id, /^cli:/);
      assert.deepEqual(audits[0]!.details, { reason: 'nightly check', dryRun: false, windowHours: 48 });
      await assertDatabaseVerifies(e);
    });
  });

  it('bad options are usage errors (exit 2) and run nothing', async () => {
    for (const args of [['--window-hours', '0'], ['--window-hours', 'day'], ['--reason', ''], ['extra']]) {
      const run = await cli('reconcile', ...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.err}`);
      assert.equal(run.out, '');
    }
    await withEngine(async (e) => assert.equal((await auditRows(e)).length, 1));
  });
});

describe('escrow reconcile with a real rail whose provider does not answer (CLI, fake Stripe)', () => {
  let tmp: string;
  const driver = new StripeDriver();
  let env: Record<string, string>;
  let escrowId: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-reconcile-stripe-'));
    env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: join(tmp, 'data'), ESCROW_RAILS: 'STRIPE' };
    Object.assign(env, await driver.start());
    const engine = await createEngine(loadConfig(env), { logger: pino({ level: 'silent' }) });
    try {
      // funded by Stripe's signed webhook, handed to the intake (no API listens here)
      escrowId = (await engine.service.create(actors.buyer, escrowInput({ rail: 'STRIPE' }))).escrow.id;
      const { reference } = (await engine.readModel.paymentTarget(escrowId))!;
      await driver.fake.pay(reference);
      const pi = driver.fake.paymentIntents.get(reference)!;
      const { rawBody, headers } = driver.fake.signedWebhook(driver.fake.event('payment_intent.succeeded', pi));
      const paid = await engine.webhooks.receive('stripe', rawBody, headers);
      assert.equal(paid.status, 'processed', JSON.stringify(paid));
      assert.equal((await engine.readModel.getEscrow(escrowId))?.status, 'FUNDS_HELD');
    } finally {
      await engine.stop();
    }
    await driver.stop(); // Stripe is unreachable from now on
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a mismatch it cannot apply (the provider does not answer) is a line with its fix, and exit 1', async () => {
    let out = '';
    let err = '';
    const code = await runCli(['reconcile'], { out: (t) => void (out += t), err: (t) => void (err += t) }, env);
    assert.equal(code, 1, out + err);
    assert.match(out, /1 mismatch\(es\), 1 not applied\n/);
    assert.match(
      out,
      new RegExp(`^OPEN PROVIDER_UNREACHABLE STRIPE escrow ${escrowId}: .+; fix: the next reconciler`, 'm'),
    );
    assert.match(out, /^treasury STRIPE USD: unknown; /m);

    let json = '';
    const again = await runCli(['reconcile', '--json'], { out: (t) => void (json += t), err: () => undefined }, env);
    assert.equal(again, 1);
    const report = JSON.parse(json) as ReconciliationReport;
    assert.deepEqual(
      report.mismatches.map((m) => [m.kind, m.escrowId, m.applied]),
      [['PROVIDER_UNREACHABLE', escrowId, false]],
    );
    const engine = await createEngine(loadConfig(env), { logger: pino({ level: 'silent' }) });
    try {
      assert.equal(
        (await engine.readModel.getEscrow(escrowId))?.status,
        'FUNDS_HELD',
        'nothing concluded from silence',
      );
      await assertDatabaseVerifies(engine);
    } finally {
      await engine.stop();
    }
  });
});
