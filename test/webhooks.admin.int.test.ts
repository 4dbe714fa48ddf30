import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { SANDBOX_SIGNATURE_HEADER } from '../src/adapters/rails/sandbox/index.js';
import { derivedId } from '../src/app/ids.js';
import { loadConfig } from '../src/config/index.js';
import { dataDirCli } from './dataDirCli.js';
import { createEngine, type Engine } from '../src/main.js';
import { actors, assertDatabaseVerifies, engineKinds, escrowInput, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';

// `escrow webhooks failed|reprocess` and their admin routes (SPEC §8, seed 004's runbook): a payment webhook that
// arrived before its escrow existed is stored failed, listed (metadata only), verified again over its stored raw
// bytes and applied exactly once after the cause is gone; a dry run changes nothing; every run is audited.

interface Failed {
  provider: string;
  eventId: string;
  type: string;
  escrowId: string | null;
  attempts: number;
  lastError: string | null;
  reprocessable: boolean;
}
interface Reprocessed {
  dryRun: boolean;
  results: {
    eventId: string;
    lastError: string | null;
    result: { status: string; outcome?: string; reason?: string };
  }[];
}

/**
 * A payment for an escrow that does not exist yet: the escrow id follows from the create's command id, so the
 * webhook can name the reference that create will make (a provider's webhook that beats the create's commit).
 */
async function earlyPayment(engine: Engine, amount = '10000') {
  const input = escrowInput({ amount });
  // what the buyer will owe (amount + buyer fee), learnt from an escrow of the same terms
  const probe = await engine.service.create(actors.buyer, escrowInput({ amount }));
  const due = (await engine.readModel.paymentTarget(probe.escrow.id))!.due.toString();
  const commandId = randomUUID();
  const escrowId = derivedId(`escrow:${commandId}`);
  const eventId = `evt_${randomUUID()}`;
  const transactionId = `sbx_txn_secret_${randomUUID()}`;
  const rawBody = JSON.stringify({
    id: eventId,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: { reference: `sbx_${escrowId.replace(/-/g, '')}`, transactionId, amount: due, currency: 'USD' },
  });
  const headers = { [SANDBOX_SIGNATURE_HEADER]: engine.sandbox.sign(rawBody), 'content-type': 'application/json' };
  return {
    escrowId,
    eventId,
    transactionId,
    rawBody,
    headers,
    /** Fixes the cause: the escrow the payment is for is created (on `on`, another engine of the same data). */
    create: async (on: Engine = engine) => {
      const made = await on.service.create(actors.buyer, input, { commandId });
      assert.equal(made.escrow.id, escrowId);
    },
  };
}

const auditRows = async (engine: Engine, action: string) =>
  (
    await engine.db.query<{ actor_id: string; actor_role: string; details: Record<string, unknown> }>(
      'SELECT actor_id, actor_role, details FROM audit_logs WHERE action = $1 ORDER BY id',
      [action],
    )
  ).rows;

for (const kind of engineKinds()) {
  describe(`admin webhooks routes (${kind})`, () => {
    let s: TestServer;
    let admin: string;

    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
    });
    after(() => s.close());

    const deliver = async (p: Awaited<ReturnType<typeof earlyPayment>>) =>
      s.call('POST', '/api/webhooks/sandbox', { body: p.rawBody, headers: p.headers });
    const failed = async (query = '') => {
      const res = await s.call<{ items: Failed[] }>('GET', `/api/admin/webhooks/failed${query}`, { token: admin });
      assert.equal(res.status, 200, res.text);
      return res;
    };
    const reprocess = async (body: Record<string, unknown>) => {
      const res = await s.call<Reprocessed>('POST', '/api/admin/webhooks/reprocess', { token: admin, body });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };

    it('lists a failed payment webhook, then applies it exactly once after its escrow exists; audited', async () => {
      const p = await earlyPayment(s.engine);
      const refused = await deliver(p);
      assert.equal(refused.status, 422, refused.text);

      const listed = await failed('?provider=sandbox');
      const item = listed.body.items.find((w) => w.eventId === p.eventId);
      assert.ok(item, listed.text);
      assert.equal(item.type, 'payment.succeeded');
      assert.equal(item.reprocessable, true);
      assert.match(item.lastError ?? '', /^UNKNOWN_REFERENCE: /);
      // metadata only: nothing of the body (its transaction id) nor the headers (the signature)
      assert.ok(!listed.text.includes(p.transactionId), listed.text);
      assert.ok(!listed.text.includes(p.headers[SANDBOX_SIGNATURE_HEADER]), listed.text);
      assert.deepEqual(Object.keys(item).sort(), [
        'attempts',
        'escrowId',
        'eventId',
        'lastError',
        'provider',
        'receivedAt',
        'reprocessable',
        'type',
      ]);

      // before the cause is fixed a reprocess fails again and stays listed
      const early = await reprocess({ eventId: p.eventId, reason: 'try before the escrow exists' });
      assert.equal(early.results[0]?.result.status, 'failed');
      assert.equal((await failed()).body.items.find((w) => w.eventId === p.eventId)?.attempts, 2);

      await p.create();
      const before = await tableCounts(s.engine.db);
      const dry = await reprocess({ eventId: p.eventId, reason: 'escrow exists now', dryRun: true });
      assert.deepEqual(
        dry.results.map((r) => r.result.status),
        ['would reprocess'],
      );
      assert.deepEqual(await tableCounts(s.engine.db), before, 'a dry run changes nothing (and is not audited)');
      assert.equal((await s.engine.readModel.getEscrow(p.escrowId))?.status, 'AWAIT_FUNDS');

      const done = await reprocess({ provider: 'sandbox', eventId: p.eventId, reason: 'escrow exists now' });
      assert.deepEqual(done.results, [
        {
          provider: 'sandbox',
          eventId: p.eventId,
          type: 'payment.succeeded',
          lastError: done.results[0]!.lastError,
          result: { status: 'processed', outcome: 'FUNDS_HELD', escrowId: p.escrowId },
        },
      ]);
      assert.match(done.results[0]!.lastError ?? '', /UNKNOWN_REFERENCE/);
      const funded = await s.engine.readModel.getEscrow(p.escrowId);
      assert.equal(funded?.status, 'FUNDS_HELD');
      assert.ok(!(await failed()).body.items.some((w) => w.eventId === p.eventId), 'no longer listed');

      // a second reprocess has nothing to do; the provider's own retry is a duplicate: nothing moves twice
      const again = await reprocess({ eventId: p.eventId, reason: 'again' });
      assert.deepEqual(again.results, []);
      const retried = await deliver(p);
      assert.equal(retried.status, 200, retried.text);
      const events = await s.engine.readModel.events(p.escrowId);
      assert.equal(events.filter((e) => e.type === 'EscrowFundsHeld').length, 1);
      assert.equal((await s.engine.readModel.getEscrow(p.escrowId))?.version, funded?.version);

      const audits = (await auditRows(s.engine, 'webhooks.reprocess')).filter(
        (r) => (r.details.selection as { eventId?: string }).eventId === p.eventId,
      );
      assert.equal(audits.length, 3, 'the failed, the applied and the empty run; not the dry run');
      const applied = audits.find((r) => r.details.reason === 'escrow exists now');
      assert.ok(applied, JSON.stringify(audits));
      assert.equal(applied.actor_id, 'ops-admin');
      assert.equal(applied.actor_role, 'admin');
      assert.deepEqual(applied.details.outcomes, { processed: 1, duplicate: 0, failed: 0, skipped: 0 });
      await assertDatabaseVerifies(s.engine);
    });

    it("a provider's payment refused for an escrow that exists is stored failed with that escrow: its timeline shows it", async () => {
      const { escrow } = await s.engine.service.create(actors.buyer, escrowInput());
      const eventId = `evt_${randomUUID()}`;
      const rawBody = JSON.stringify({
        id: eventId,
        type: 'payment.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: {
          reference: `sbx_${escrow.id.replace(/-/g, '')}`,
          transactionId: `sbx_txn_${eventId}`,
          amount: '0',
          currency: 'USD',
        },
      });
      const headers = {
        [SANDBOX_SIGNATURE_HEADER]: s.engine.sandbox.sign(rawBody),
        'content-type': 'application/json',
      };
      const refused = await s.call('POST', '/api/webhooks/sandbox', { body: rawBody, headers });
      assert.equal(refused.status, 422, refused.text);
      const item = (await failed()).body.items.find((w) => w.eventId === eventId);
      assert.equal(item?.escrowId, escrow.id, 'the failure names its escrow');
      const timeline = await s.call<{
        webhooks: { eventId: string; lastError: string | null; processedAt: string | null }[];
      }>('GET', `/api/admin/escrows/${escrow.id}/timeline`, { token: admin });
      const shown = timeline.body.webhooks.find((w) => w.eventId === eventId);
      assert.ok(shown, timeline.text);
      assert.equal(shown.processedAt, null);
      assert.match(shown.lastError ?? '', /amount/);
      await assertDatabaseVerifies(s.engine);
    });

    it('verifies the stored raw bytes again: a tampered body is skipped with the signature reason, nothing changes', async () => {
      const p = await earlyPayment(s.engine);
      assert.equal((await deliver(p)).status, 422);
      await p.create();
      // someone with database access raises the amount in the stored body
      const { rows } = await s.engine.db.query<{ event_id: string }>(
        `UPDATE webhook_events SET raw_body = replace(raw_body, '"currency":"USD"', '"currency":"USD","x":1')
          WHERE provider = 'sandbox' AND event_id = $1 RETURNING event_id`,
        [p.eventId],
      );
      assert.equal(rows.length, 1);
      const before = await tableCounts(s.engine.db);
      const out = await reprocess({ eventId: p.eventId, reason: 'escrow exists now' });
      assert.equal(out.results.length, 1);
      assert.equal(out.results[0]!.result.status, 'skipped');
      assert.match(out.results[0]!.result.reason ?? '', /signature/i);
      const after = await tableCounts(s.engine.db);
      assert.deepEqual({ ...after, audit_logs: before.audit_logs }, before, 'only the audit row is new');
      assert.equal((await s.engine.readModel.getEscrow(p.escrowId))?.status, 'AWAIT_FUNDS');
      assert.ok(
        (await failed()).body.items.some((w) => w.eventId === p.eventId),
        'still listed',
      );
      await assertDatabaseVerifies(s.engine);
    });

    it('bad input is a problem naming the field and changes nothing; only admins may call', async () => {
      const before = await tableCounts(s.engine.db);
      for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?since=yesterday', '?provider=Not%20One', '?x=1']) {
        const res = await s.call('GET', `/api/admin/webhooks/failed${query}`, { token: admin });
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      for (const body of [
        {},
        { reason: '' },
        { reason: 'x', limit: 0 },
        { reason: 'x', since: 'soon' },
        { reason: 'x', y: 1 },
      ]) {
        const res = await s.call('POST', '/api/admin/webhooks/reprocess', { token: admin, body });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const missing = await s.call<{ errors?: { field: string }[] }>('POST', '/api/admin/webhooks/reprocess', {
        token: admin,
        body: {},
      });
      assert.ok(JSON.stringify(missing.body).includes('reason'), missing.text);
      const user = await s.token('buyer-1', 'user');
      assert.equal((await s.call('GET', '/api/admin/webhooks/failed', { token: user })).status, 403);
      assert.equal(
        (await s.call('POST', '/api/admin/webhooks/reprocess', { token: user, body: { reason: 'x' } })).status,
        403,
      );
      assert.equal((await s.call('GET', '/api/admin/webhooks/failed')).status, 401);
      assert.deepEqual(await tableCounts(s.engine.db), before);
    });
  });
}

describe('escrow webhooks failed|reprocess (CLI, PGlite data directory)', () => {
  let tmp: string;
  let env: Record<string, string>;

  const { withEngine, cli } = dataDirCli(() => env);

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-webhooks-'));
    env = { DATA_DIR: join(tmp, 'data') };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('lists (table and JSON), dry-runs, reprocesses once with a reason, and exits 1 when one fails again', async () => {
    const { eventId, escrowId, transactionId, create } = await withEngine(async (e) => {
      const p = await earlyPayment(e);
      assert.equal((await e.webhooks.receive('sandbox', p.rawBody, p.headers)).status, 'failed');
      return p;
    });

    const json = await cli('webhooks', 'failed', '--provider', 'sandbox', '--json');
    assert.equal(json.code, 0, json.err);
    const { items } = JSON.parse(json.out) as { items: Failed[] };
    assert.deepEqual(
      items.map((w) => [w.eventId, w.type, w.reprocessable]),
      [[eventId, 'payment.succeeded', true]],
    );
    assert.ok(!json.out.includes(transactionId), 'no body in the listing');
    const table = await cli('webhooks', 'failed');
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^PROVIDER +EVENT +TYPE/);
    assert.ok(table.out.includes(eventId) && table.out.includes('UNKNOWN_REFERENCE'), table.out);
    assert.match(table.out, /1 failed webhook\(s\)\n$/);

    assert.equal((await cli('webhooks', 'reprocess', '--event-id', eventId)).code, 2, 'a reprocess needs --reason');
    assert.equal((await cli('webhooks', 'failed', '--limit', '0')).code, 2);
    assert.equal((await cli('webhooks', 'failed', '--since', 'yesterday')).code, 2);
    assert.equal((await cli('webhooks')).code, 2);

    // still unknown: it fails again, exit 1, and stays listed
    const early = await cli('webhooks', 'reprocess', '--event-id', eventId, '--reason', 'too early');
    assert.equal(early.code, 1, early.out + early.err);
    assert.match(early.out, /failed again: UNKNOWN_REFERENCE/);

    // the cause goes away: the escrow is created (its id, so its reference, follows from the command id)
    await withEngine((e) => create(e));
    const dry = await cli('webhooks', 'reprocess', '--event-id', eventId, '--reason', 'escrow exists', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would reprocess/);
    assert.match(dry.out, /nothing changed/);
    assert.equal((JSON.parse((await cli('webhooks', 'failed', '--json')).out) as { items: Failed[] }).items.length, 1);

    const done = await cli('webhooks', 'reprocess', '--provider', 'sandbox', '--reason', 'escrow exists', '--json');
    assert.equal(done.code, 0, done.err);
    const out = JSON.parse(done.out) as Reprocessed;
    assert.deepEqual(
      out.results.map((r) => [r.eventId, r.result.status, r.result.outcome]),
      [[eventId, 'processed', 'FUNDS_HELD']],
    );
    const nothing = await cli('webhooks', 'reprocess', '--reason', 'again');
    assert.equal(nothing.code, 0, nothing.err);
    assert.equal(nothing.out, 'no failed webhooks to reprocess\n');
    assert.equal((await cli('webhooks', 'failed')).out, 'no failed webhooks\n');

    await withEngine(async (e) => {
      assert.equal((await e.readModel.getEscrow(escrowId))?.status, 'FUNDS_HELD');
      const funded = (await e.readModel.events(escrowId)).filter((x) => x.type === 'EscrowFundsHeld');
      assert.equal(funded.length, 1, 'applied exactly once');
      const audits = await auditRows(e, 'webhooks.reprocess');
      assert.equal(audits.length, 3, 'the failed, the applied and the empty run; not the dry run');
      const applied = audits.find((r) => r.details.reason === 'escrow exists')!;
      assert.match(applied.actor_id, /^cli:/);
      assert.deepEqual(applied.details.selection, { limit: 100, provider: 'sandbox' });
      assert.deepEqual(applied.details.outcomes, { processed: 1, duplicate: 0, failed: 0, skipped: 0 });
      await assertDatabaseVerifies(e);
    });
    const verified = await cli('verify');
    assert.equal(verified.code, 0, verified.out + verified.err);
  });
});

describe('escrow webhooks and escrow reconcile through the embedded server (its admin API)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  let eventId: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-webhooks-server-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' };
    const engine = await createEngine(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: env.DATA_DIR }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      const p = await earlyPayment(engine);
      assert.equal((await engine.webhooks.receive('sandbox', p.rawBody, p.headers)).status, 'failed');
      eventId = p.eventId;
    } finally {
      await engine.stop();
    }
    server = await serve(env);
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lists, dry-runs and reprocesses through the server (exit 1: it fails again), and reconciles', async () => {
    const listed = await childCli(['webhooks', 'failed', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      json<{ items: Failed[] }>(listed).items.map((w) => [w.eventId, w.reprocessable]),
      [[eventId, true]],
    );
    const dry = await childCli(['webhooks', 'reprocess', '--reason', 'check', '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      json<Reprocessed>(dry).results.map((r) => r.result.status),
      ['would reprocess'],
    );
    const again = await childCli(['webhooks', 'reprocess', '--event-id', eventId, '--reason', 'retry'], env);
    assert.equal(again.code, 1, again.stdout + again.stderr);
    assert.match(again.stdout, /failed again: UNKNOWN_REFERENCE/);
    const bad = await childCli(['webhooks', 'failed', '--limit', '501'], env);
    assert.equal(bad.code, 2);

    const reconciled = await childCli(['reconcile', '--json'], env);
    assert.equal(reconciled.code, 0, reconciled.stderr);
    const report = json<{ dryRun: boolean; mismatches: unknown[] }>(reconciled);
    assert.equal(report.dryRun, false);
    assert.deepEqual(report.mismatches, []);
    const verified = await childCli(['verify'], env);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
