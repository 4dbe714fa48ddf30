import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DailyCheckReport } from '../src/app/dailyCheck.js';
import type { HealthReport } from '../src/cli/commands/health.js';
import { runCli } from '../src/cli/program.js';
import { dataDirCli } from './dataDirCli.js';
import { actors, assertDatabaseVerifies, deliveredEscrow, engineKinds, escrowInput, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The daily checklist (seeds 000 and 003): GET /api/admin/check and `escrow check`, and `escrow health`. Every item
// the engine answers is driven from a pass to its failure by the state it checks (rows backdated, never a sleep).

const DAY = 86_400_000;
const item = (r: DailyCheckReport, name: string) => r.items.find((i) => i.name === name)!;

for (const kind of engineKinds()) {
  describe(`GET /api/admin/check (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    const check = async () => {
      const res = await s.call<DailyCheckReport>('GET', '/api/admin/check', { token: admin });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };
    before(async () => {
      s = await testServer(kind, {}, ['api', 'timeouts', 'outbox', 'settlements', 'webhooks']);
      admin = await s.token('ops-admin', 'admin');
    });
    after(() => s.close());

    it('a quiet system passes every item it answers; a non-admin is refused', async () => {
      const r = await check();
      assert.deepEqual(
        r.items.filter((i) => i.status === 'fail' || i.status === 'warn').map((i) => [i.name, i.value]),
        [],
      );
      assert.equal(r.ok, true);
      assert.equal(item(r, 'ledger').value, 'no violations (0 escrows)');
      assert.equal(item(r, 'timeouts').status, 'pass', 'the timeouts role runs in this server');
      assert.equal(item(r, 'kafka_lag').status, 'n/a');
      assert.equal(item(r, 'db_connections').status, kind === 'postgres' ? 'pass' : 'n/a');
      assert.equal(item(r, 'error_rate_latency').status, 'n/a');
      assert.equal(r.counts.fail, 0);
      assert.match(String(r.databaseBytes), /^[1-9]\d*$/);
      const user = await s.token(actors.buyer.id, 'user');
      const refused = await s.call('GET', '/api/admin/check', { token: user });
      assert.equal(refused.status, 403, refused.text);
    });

    it('8 days later without a timeouts role: an unpaid escrow, a delivered one and a dispute are stuck', async () => {
      // a second server without the timeouts role: nothing moves the deadlines (what the check is there to catch)
      const t = await testServer(kind, {}, ['api', 'outbox']);
      try {
        const token = await t.token('ops-admin', 'admin');
        const run = async () => (await t.call<DailyCheckReport>('GET', '/api/admin/check', { token })).body;
        await t.engine.service.create(actors.buyer, escrowInput());
        await deliveredEscrow(t.engine);
        const disputed = await deliveredEscrow(t.engine);
        await t.engine.service.execute('OpenDispute', disputed, actors.buyer, { reason: 'not as described' });
        const today = await run();
        assert.deepEqual(
          today.last24h.map((a) => [a.currency, a.created, a.disputed]),
          [['USD', 3, 1]],
        );
        assert.equal(item(today, 'stuck_awaiting_funds').status, 'pass');

        t.clock.advance(8 * DAY);
        const r = await run();
        assert.equal(r.ok, false);
        assert.deepEqual(
          r.items.filter((i) => i.status === 'fail' || i.status === 'warn').map((i) => [i.name, i.status, i.value]),
          [
            ['health', 'warn', item(r, 'health').value],
            ['stuck_awaiting_funds', 'fail', '1'],
            ['stuck_delivered', 'fail', '1'],
            ['timeouts', 'fail', item(r, 'timeouts').value],
            ['disputes', 'warn', '1 open; 1 past respond-by, 1 past the SLA'],
          ],
        );
        assert.match(item(r, 'timeouts').value, /no live timeouts instance/);
        assert.match(item(r, 'stuck_awaiting_funds').next!, /escrow stuck/);
        assert.deepEqual(r.last24h, [], 'nothing was created in the last 24 h');
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });
  });
}

describe('escrow check and escrow health on an embedded data directory', () => {
  let tmp: string;
  let env: Record<string, string>;
  const { cli, withEngine } = dataDirCli(() => env);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-check-'));
    env = { DATA_DIR: join(tmp, 'data') };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('escrow check exits 1 while no timeouts role runs anywhere, saying what to run; it writes nothing', async () => {
    await withEngine(async (e) => void (await e.service.create(actors.buyer, escrowInput())));
    const counts = await withEngine((e) => tableCounts(e.db));
    const text = await cli('check');
    assert.equal(text.code, 1, text.err);
    assert.match(text.out, /^FAIL\s+timeouts\s+no live timeouts instance/m);
    assert.match(text.out, /^\s+→ escrow serve --roles timeouts/m);
    assert.match(text.out, /^PASS\s+ledger\s+no violations \(1 escrows\)$/m);
    assert.match(text.out, /^\d+ items: \d+ pass, \d+ warn, 1 fail, \d+ n\/a — FAILED$/m);
    assert.match(text.out, /^ {2}USD: 1 created, 0 released \(0 minor\)/m);
    const json = await cli('check', '--json');
    assert.equal(json.code, 1, json.err);
    const report = JSON.parse(json.out) as DailyCheckReport;
    assert.deepEqual(
      report.items.filter((i) => i.status === 'fail').map((i) => i.name),
      ['timeouts'],
    );
    assert.deepEqual(await withEngine((e) => tableCounts(e.db)), counts, 'a check changes nothing');
  });

  it('escrow verify draws its progress on a terminal stderr; stdout stays the JSON report', async () => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), errIsTTY: true };
    const code = await runCli(['verify'], io, { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
    assert.equal(code, 0, err);
    assert.match(err, /\rescrows checked \[#{30}\] 100% 1\/1/);
    assert.deepEqual(JSON.parse(out), { ok: true, escrowsChecked: 1, violations: [] });
  });

  it('escrow health prints every check; degraded is exit 0, --json is the /health document', async () => {
    const text = await cli('health');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^status: degraded \(version \S+\)$/m);
    assert.match(text.out, /^database\s+ok\s+[\d.]+ ms$/m);
    assert.match(text.out, /^outbox\s+ok\s+-\s+\d+ unpublished, oldest \d+ s, 0 dead letters$/m);
    const json = JSON.parse((await cli('health', '--json')).out) as HealthReport;
    assert.equal(json.status, 'degraded');
    assert.equal(json.checks.database?.status, 'ok');
    assert.equal(json.checks.timeouts?.status, 'degraded');
    const down = await cli('health', '--url', 'http://127.0.0.1:9');
    assert.equal(down.code, 1);
    assert.match(down.err, /http:\/\/127\.0\.0\.1:9\/health does not answer/);
  });
});
