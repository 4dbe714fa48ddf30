import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PauseChange, PauseReport } from '../src/app/pause.js';
import { PAUSE_MAX_AGE_MS } from '../src/app/pauseState.js';
import type { Engine } from '../src/main.js';
import {
  ENGINE_KINDS,
  actors,
  assertDatabaseVerifies,
  deliveredEscrow,
  escrowInput,
  testEngine,
  type TestEngine,
} from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The emergency pause across processes (issue 13 item 2): the API engine (A) takes the admin's pause; a second
// engine (B: its own pool and LISTEN connection on the same PostgreSQL database, running settlements and timeouts)
// holds every payout and money-moving timeout once its own in-memory state has the pause (NOTIFY; at most
// PAUSE_MAX_AGE_MS without it); users get 503 PAUSED while an admin's release still works and webhooks are recorded;
// `resume` wakes B's loops and the held payouts go out. No wall-clock assertion: each wait polls with a generous bound.

const BOUND_MS = 15_000;

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > BOUND_MS) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
  return Date.now() - start;
}

const postgres = ENGINE_KINDS.includes('postgres');

describe(
  'emergency pause on two engines on one PostgreSQL database',
  {
    skip: postgres ? false : 'needs PostgreSQL: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test',
  },
  () => {
    let s: TestServer;
    let b: TestEngine;
    let admin: string;
    const status = async (e: Engine, id: string) => (await e.readModel.getEscrow(id))?.status;
    const settlement = async (id: string) => (await s.engine.readModel.getEscrow(id))?.settlements[0];

    before(async () => {
      s = await testServer('postgres', {}, ['api']);
      const other = await s.testDb.openAnother(4);
      b = await testEngine('postgres', {}, { db: other, clock: s.clock });
      await b.engine.start(['settlements', 'timeouts']);
      admin = await s.token('ops-alice', 'admin');
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await b.close();
        await s.close();
      }
    });

    it('pause all: B holds payouts and money-moving timeouts; users wait; admins, reads and webhooks go on; resume pays', async (t) => {
      // before: B pays a release out by itself (its settlements loop runs)
      const e0 = await deliveredEscrow(s.engine);
      await s.engine.service.execute('ConfirmDelivery', e0, actors.buyer, {});
      await until('B to pay the release out', async () => (await settlement(e0))?.status === 'SUCCEEDED');
      const delivered = await deliveredEscrow(s.engine); // its confirmation deadline: auto-refund (money out)
      const unpaid = (await s.engine.service.create(actors.buyer, escrowInput())).escrow; // payment deadline: expiry
      const funded = await deliveredEscrow(s.engine); // an admin releases it during the pause
      const paysLater = (await s.engine.service.create(actors.buyer, escrowInput())).escrow;

      const reason = 'RB-05: suspected exploit of the payout path, INC-2211';
      const paused = await s.call<PauseChange>('POST', '/api/admin/pause', {
        token: admin,
        body: { scope: 'all', reason },
      });
      assert.equal(paused.status, 200, paused.text);
      assert.deepEqual(
        paused.body.changed.map((p) => [p.scope, p.setBy]),
        [
          ['payouts', 'ops-alice'],
          ['intake', 'ops-alice'],
        ],
      );
      assert.ok(s.engine.operations.pause?.current('intake'), 'the replica that took it: in force before its answer');
      const delay = await until('B to hold the pause', () => b.engine.operations.pause?.current('payouts') != null);
      t.diagnostic(`in force on B ${delay} ms after the answer (advertised: within ${PAUSE_MAX_AGE_MS} ms)`);

      // an admin's release still works; its payout waits: B claims nothing while paused
      const released = await s.call<{ status: string }>('POST', `/api/escrow/${funded}/release`, {
        token: admin,
        body: { reason: 'goods confirmed by support' },
      });
      assert.equal(released.status, 200, released.text);
      assert.equal(released.body.status, 'RELEASED');
      assert.equal((await b.engine.settlementWorker.runOnce()).claimed, 0);
      assert.deepEqual(await settlementRow(s, funded), { status: 'PENDING', attempts: 0 });

      // users: 503 PAUSED with Retry-After naming the scope, who, when and why; reads stay open
      const buyer = await s.token(actors.buyer.id, 'user');
      const refused = await s.call<{ code: string; detail: string }>('POST', '/api/escrow', {
        token: buyer,
        body: escrowInput(),
      });
      assert.equal(refused.status, 503, refused.text);
      assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(refused.body.code, 'PAUSED');
      assert.equal(refused.headers.get('retry-after'), '60');
      for (const part of ['intake', paused.body.changed[1]!.setAt]) {
        assert.ok(refused.body.detail.includes(part), refused.body.detail);
      }
      // who paused and why are for the operators (/health, GET /api/admin/pause), not the marketplace's users
      for (const part of ['ops-alice', reason]) assert.ok(!refused.body.detail.includes(part), refused.body.detail);
      const seller = await s.token(actors.seller.id, 'user');
      const cancel = await s.call('POST', `/api/escrow/${paysLater.id}/cancel`, { token: seller, body: {} });
      assert.equal(cancel.status, 503, cancel.text);
      assert.equal((await s.call('GET', `/api/escrow/${paysLater.id}`, { token: buyer })).status, 200);
      assert.equal((await s.call('POST', '/api/escrow', { token: admin, body: escrowInput() })).status, 201);

      // provider webhooks are still accepted and recorded (here the sandbox's: the buyer pays)
      const paid = await s.call('POST', `/api/sandbox/payments/${paysLater.payment.reference}/succeed`);
      assert.equal(paid.status, 200, paid.text);
      assert.equal(await status(s.engine, paysLater.id), 'FUNDS_HELD');
      const raw = JSON.stringify({ id: 'evt_paused_1', type: 'customer.created', data: {} });
      const hook = await s.call('POST', '/api/webhooks/sandbox', {
        body: raw,
        headers: { 'x-sandbox-signature': s.engine.sandbox.sign(raw) },
      });
      assert.equal(hook.status, 200, hook.text);
      const stored = await s.engine.db.query(`SELECT 1 FROM webhook_events WHERE event_id = 'evt_paused_1'`);
      assert.equal(stored.rowCount, 1);

      // past both deadlines: B expires the unpaid escrow (no money moves) and holds the delivered one's auto-refund
      s.clock.advance(8 * 86_400_000);
      const run = await b.engine.timeouts.runOnce();
      assert.ok(run.due.length >= 1 && run.due.every((d) => d.kind === 'PAYMENT_DEADLINE'), JSON.stringify(run.due));
      assert.equal(await status(b.engine, unpaid.id), 'CANCELLED', 'expired');
      assert.equal(await status(b.engine, delivered), 'DELIVERED');

      // /health, /metrics (both processes' gauges), the admin status and the audit log say so
      const health = await s.call<{ status: string; checks: Record<string, { status: string; detail: string }> }>(
        'GET',
        '/health',
      );
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'degraded');
      assert.equal(health.body.checks.pause?.status, 'degraded');
      assert.match(health.body.checks.pause?.detail ?? '', /payouts paused since .* by ops-alice \(admin\): RB-05/);
      assert.match((await s.call('GET', '/metrics')).text, /escrow_paused\{scope="payouts"\} 1/);
      assert.deepEqual(await gauge(b.engine), { payouts: 1, intake: 1 });
      const report = await s.call<PauseReport>('GET', '/api/admin/pause', { token: admin });
      assert.equal(report.body.paused, true);
      assert.equal(report.body.history.length, 2);

      const resumed = await s.call<PauseChange>('POST', '/api/admin/resume', {
        token: admin,
        body: { reason: 'INC-2211 fixed and verified' },
      });
      assert.equal(resumed.status, 200, resumed.text);
      assert.deepEqual(resumed.body.status, { paused: false, payouts: null, intake: null });
      // B's loops wake on the resume (no direct run here): the held payout and the held auto-refund go out
      await until('the held payout', async () => (await settlement(funded))?.status === 'SUCCEEDED');
      await until('the held auto-refund', async () => (await settlement(delivered))?.status === 'SUCCEEDED');
      assert.equal(await status(s.engine, delivered), 'REFUNDED');
      assert.deepEqual(await gauge(b.engine), { payouts: 0, intake: 0 });
      assert.equal((await s.call('POST', '/api/escrow', { token: buyer, body: escrowInput() })).status, 201);

      const audit = await s.engine.db.query<{ action: string; actor_id: string; reason: string }>(
        `SELECT action, actor_id, details->>'reason' AS reason FROM audit_logs WHERE action LIKE 'pause.%' ORDER BY id`,
      );
      assert.deepEqual(audit.rows, [
        { action: 'pause.set', actor_id: 'ops-alice', reason },
        { action: 'pause.lift', actor_id: 'ops-alice', reason: 'INC-2211 fixed and verified' },
      ]);
    });
  },
);

async function settlementRow(s: TestServer, escrowId: string) {
  const { rows } = await s.engine.db.query<{ status: string; attempts: number }>(
    'SELECT status, attempts FROM settlements WHERE escrow_id = $1',
    [escrowId],
  );
  return rows[0];
}

/** `escrow_paused{scope}` as this engine's registry holds it. */
async function gauge(e: Engine): Promise<Record<string, number>> {
  const { values } = await e.metrics.paused.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.scope), v.value]));
}
