import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { CommandHandler } from '../src/app/commandHandler.js';
import { VersionConflict } from '../src/app/ports/index.js';
import { commandLog } from '../src/composition/commandPath.js';
import { loadConfig } from '../src/config/index.js';
import { mintToken } from '../src/http/auth.js';
import { createEngine, type Engine } from '../src/main.js';
import { actors, assertDatabaseVerifies, escrowInput } from './harness.js';
import { TEST_JWT_SECRET } from './httpHarness.js';

describe('request log lines', () => {
  const lines: string[] = [];
  let engine: Engine;
  let base: string;
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: 'memory://',
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
    });
    engine = await createEngine(config, { logger: pino({ level: 'info' }, sink) });
    const { port } = await engine.start(['api']);
    base = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(engine);
    } finally {
      await engine.stop();
    }
  });

  it('carry request_id once, the id the response header names', async () => {
    const res = await fetch(`${base}/health/live`);
    assert.equal(res.status, 200);
    const id = res.headers.get('x-request-id');
    assert.ok(id);
    const line = lines.find((l) => l.includes(id) && l.includes('"msg":"request"'));
    assert.ok(line, `a request line for ${id} in:\n${lines.join('\n')}`);
    assert.equal(line.split('"request_id"').length - 1, 1, line);
  });

  it('a webhook that is refused or cannot be processed is logged, naming the provider and why', async () => {
    const raw = JSON.stringify({
      id: 'evt_unknown_ref',
      type: 'payment.succeeded',
      data: { reference: 'sbx_nobody', transactionId: 'txn_1', amount: '100', currency: 'USD' },
    });
    const signed = await fetch(`${base}/api/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sandbox-signature': engine.sandbox.sign(raw) },
      body: raw,
    });
    assert.equal(signed.status, 422);
    const failed = lines.find((l) => l.includes('"msg":"webhook not processed') && l.includes('UNKNOWN_REFERENCE'));
    assert.ok(failed, lines.join('\n'));
    assert.match(failed, /"level":40/);
    const forged = await fetch(`${base}/api/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sandbox-signature': 't=1,v1=00' },
      body: raw,
    });
    assert.equal(forged.status, 400);
    assert.ok(lines.some((l) => l.includes('"msg":"webhook rejected"') && l.includes('"provider":"sandbox"')));
  });

  describe('the command path, in the words the runbooks grep for', () => {
    const token = (sub: string, role: 'user' | 'admin') => mintToken(TEST_JWT_SECRET, { sub, role }, '1h');
    const post = async (path: string, sub: string, role: 'user' | 'admin', body: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(sub, role)}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const parsed = (pattern: string) =>
      lines.filter((l) => l.includes(pattern)).map((l) => JSON.parse(l) as Record<string, unknown>);
    let escrowId: string;

    it('"State transition" for every accepted command: escrow, from and to status, command and actor', async () => {
      const created = await post('/api/escrow', actors.buyer.id, 'user', escrowInput());
      assert.equal(created.status, 201, JSON.stringify(created.body));
      escrowId = created.body.id as string;
      const line = parsed('State transition').find((l) => l.escrow_id === escrowId);
      assert.ok(line, lines.join('\n'));
      assert.equal(line.msg, 'State transition NONE -> AWAIT_FUNDS (CreateEscrow)');
      assert.deepEqual(
        [line.from_status, line.to_status, line.command, line.actor],
        ['NONE', 'AWAIT_FUNDS', 'CreateEscrow', { id: actors.buyer.id, role: 'user' }],
      );
    });

    it('"InvalidStateTransitionError" with the current status and the command', async () => {
      const early = await post(`/api/escrow/${escrowId}/mark-delivered`, actors.seller.id, 'user', { title: 'x' });
      assert.equal(early.status, 409);
      const line = parsed('InvalidStateTransitionError').find((l) => l.escrow_id === escrowId);
      assert.ok(line, lines.join('\n'));
      assert.equal(line.msg, 'InvalidStateTransitionError: MarkDelivered in AWAIT_FUNDS');
      assert.deepEqual([line.current_status, line.command], ['AWAIT_FUNDS', 'MarkDelivered']);
    });

    it('"EscrowNotFoundError" naming the escrow asked for', async () => {
      const unknown = randomUUID();
      const res = await post(`/api/escrow/${unknown}/cancel`, actors.admin.id, 'admin', {});
      assert.equal(res.status, 404);
      const line = parsed('EscrowNotFoundError').find((l) => l.escrow_id === unknown);
      assert.ok(line, lines.join('\n'));
      assert.equal(line.command, 'CancelEscrow');
    });

    it('"OptimisticLockError" for a version conflict, with the attempt, retried', async () => {
      const real = engine.stores.escrows;
      let conflicts = 1;
      const handler = new CommandHandler({
        store: {
          load: (id, commandId) => real.load(id, commandId),
          commit: (req) => (conflicts-- > 0 ? Promise.reject(new VersionConflict('moved')) : real.commit(req)),
          recordRejection: (e, r, at) => real.recordRejection(e, r, at),
        },
        clock: engine.clock,
        policy: engine.config.policy,
      });
      handler.observe(commandLog(engine.logger));
      const env = engine.service.envelope('CancelEscrow', escrowId, actors.buyer, {});
      const done = await handler.handle(env);
      assert.equal(done.result.toStatus, 'CANCELLED');
      const line = parsed('OptimisticLockError').find((l) => l.command_id === env.commandId);
      assert.ok(line, lines.join('\n'));
      assert.deepEqual([line.attempt, line.retrying, line.escrow_id], [1, true, escrowId]);
      assert.match(line.msg as string, /changed under CancelEscrow \(attempt 1\), retrying/);
    });

    it('"OptimisticLockError" once more, as a warning, when the conflicts outlast the attempts', async () => {
      const created = await engine.service.create(actors.buyer, escrowInput());
      const real = engine.stores.escrows;
      const handler = new CommandHandler({
        store: {
          load: (id, commandId) => real.load(id, commandId),
          commit: () => Promise.reject(new VersionConflict('moved')),
          recordRejection: (e, r, at) => real.recordRejection(e, r, at),
        },
        clock: engine.clock,
        policy: engine.config.policy,
        maxAttempts: 2,
        audit: engine.stores.audit,
      });
      handler.observe(commandLog(engine.logger));
      const env = engine.service.envelope('CancelEscrow', created.escrow.id, actors.buyer, {});
      await assert.rejects(handler.handle(env), { code: 'VERSION_CONFLICT' });
      const mine = parsed('OptimisticLockError').filter((l) => l.command_id === env.commandId);
      assert.deepEqual(
        mine.map((l) => [l.level, l.attempt ?? null, l.retrying ?? null]),
        [
          [30, 1, true],
          [30, 2, false],
          [40, null, null],
        ],
      );
      assert.match(mine[2]!.msg as string, /gave up/);
    });
  });
});
