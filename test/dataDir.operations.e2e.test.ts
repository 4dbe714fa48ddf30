import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { openPglite } from '../src/adapters/db/pglite.js';
import { loadConfig } from '../src/config/index.js';
import { dataDirSecret, mintToken } from '../src/http/auth.js';
import { createEngine } from '../src/main.js';
import { cli, json, serve, stop, type Server } from './dataDirHarness.js';
import { actors, escrowInput } from './harness.js';

/**
 * The data directory's one seam covers the suspense and outbox skip commands too (issue 10 §1, §5): while the
 * embedded server runs they go through its admin API, the server sees each change at once, the output is the same
 * with the server stopped, and `escrow verify` passes.
 */

interface Item {
  id: string;
  amount: string;
  status: string;
}
interface Escrow {
  status: string;
  suspense: Item[];
}

describe('escrow suspense and escrow outbox skip while the embedded server runs (through it)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  let token: string;
  let overpaid: string;
  let short: string;
  let blocked: string;
  let deadId: string;

  const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${server!.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const escrow = async (id: string) => (await api<Escrow>('GET', `/api/escrow/${id}`)).body;
  const ok = async (args: string[]) => {
    const run = await cli(args, env);
    assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
    return run;
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-datadir-ops-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' };
    // money in suspense and a dead letter, made in this process before the server takes the directory
    const engine = await createEngine(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: env.DATA_DIR }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      overpaid = (await engine.service.create(actors.buyer, escrowInput({ amount: '2000' }))).escrow.id;
      await engine.simulator.pay(overpaid, { amount: '2500' });
      short = (await engine.service.create(actors.buyer, escrowInput({ amount: '6000' }))).escrow.id;
      await engine.simulator.pay(short, { amount: '4000' });
      await engine.simulator.pay(short, { amount: '2000' });
      blocked = (await engine.service.create(actors.buyer, escrowInput())).escrow.id;
      // its EscrowCreated ran out of attempts (a consumer that refuses it)
      const { rows } = await engine.db.query<{ id: string }>(
        `UPDATE outbox SET published_at = NULL, dead_lettered_at = now(), attempts = 10, last_error = 'rejected'
          WHERE escrow_id = $1::uuid RETURNING id::text AS id`,
        [blocked],
      );
      assert.equal(rows.length, 1);
      deadId = rows[0]!.id;
    } finally {
      await engine.stop();
    }
    server = await serve(env);
    token = await mintToken(dataDirSecret(env.DATA_DIR!), { sub: 'ops-admin', role: 'admin' }, '1h');
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('suspense list and refund (dry run first) go through the server, which sees the refund at once', async () => {
    const listed = json<{ data: Item[] }>(await ok(['suspense', 'list', '--escrow', overpaid, '--status', 'OPEN']));
    assert.equal(listed.data.length, 1);
    const item = listed.data[0]!;
    assert.equal(item.amount, '2500');
    const dry = json<{ dryRun: boolean; events: { type: string }[] }>(
      await ok(['suspense', 'refund', item.id, '--reason', 'overpaid', '--dry-run']),
    );
    assert.deepEqual(
      dry.events.map((e) => e.type),
      ['SuspenseRefunded'],
    );
    assert.equal((await escrow(overpaid)).suspense[0]!.status, 'OPEN', 'a dry run changes nothing');

    const done = json<{ escrowId: string; suspense: Item[] }>(
      await ok(['suspense', 'refund', item.id, '--reason', 'Overpaid by 500: refunded']),
    );
    assert.equal(done.escrowId, overpaid);
    assert.equal(done.suspense[0]!.status, 'REFUNDED');
    assert.equal((await escrow(overpaid)).suspense[0]!.status, 'REFUNDED', 'the server sees it at once');
    const again = await cli(['suspense', 'refund', item.id, '--reason', 'again'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /INVALID_STATE_TRANSITION/);
    const unknown = await cli(['suspense', 'refund', '0190f0c8-0000-7000-8000-00000000dead', '--reason', 'x'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no suspense item 0190f0c8-0000-7000-8000-00000000dead \(escrow suspense list/);
  });

  it('suspense apply through the server funds the escrow; the server answers FUNDS_HELD at once', async () => {
    const [a, b] = json<{ data: Item[] }>(await ok(['suspense', 'list', '--escrow', short])).data;
    assert.ok(a && b);
    const dry = json<{ events: { type: string }[] }>(
      await ok(['suspense', 'apply', a.id, '--also', b.id, '--reason', 'Buyer topped up', '--dry-run']),
    );
    assert.ok(
      dry.events.some((e) => e.type === 'SuspenseApplied'),
      JSON.stringify(dry),
    );
    assert.equal((await escrow(short)).status, 'AWAIT_FUNDS', 'a dry run changes nothing');
    const one = await cli(['suspense', 'apply', a.id, '--reason', 'only one part'], env);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /VALIDATION_ERROR/);
    const both = json<{ status: string }>(
      await ok(['suspense', 'apply', a.id, '--also', b.id, '--reason', 'topped up']),
    );
    assert.equal(both.status, 'FUNDS_HELD');
    assert.equal((await escrow(short)).status, 'FUNDS_HELD');
  });

  it("outbox skip through the server: the dead letter is skipped and its escrow's later events go out", async () => {
    const cancelled = await api('POST', `/api/escrow/${blocked}/cancel`, { reason: 'changed my mind' });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    const dlq = json<{ id: string; escrowId: string }[]>(await ok(['outbox', 'dlq']));
    assert.deepEqual(
      dlq.map((d) => [d.id, d.escrowId]),
      [[deadId, blocked]],
    );
    await sleep(1500); // the outbox role polls: EscrowCancelled waits behind the dead letter
    assert.equal(json<{ unpublished: number }>(await ok(['outbox', 'status'])).unpublished, 1);

    const dry = await ok(['outbox', 'skip', '--id', deadId, '--reason', 'consumer rejects it', '--dry-run']);
    assert.deepEqual(json(dry), { id: deadId, skipped: true, dryRun: true });
    assert.equal(json<unknown[]>(await ok(['outbox', 'dlq'])).length, 1, 'a dry run changes nothing');

    const skipped = json<Record<string, string>>(await ok(['outbox', 'skip', '--id', deadId, '--reason', 'rejected']));
    assert.equal(skipped.escrowId, blocked);
    assert.match(skipped.eventId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(json(await ok(['outbox', 'dlq'])), [], 'the server sees it at once');
    const status = (await api<{ deadLetters: number }>('GET', '/api/admin/outbox')).body;
    assert.equal(status.deadLetters, 0);
    for (let i = 0; i < 50 && json<{ unpublished: number }>(await ok(['outbox', 'status'])).unpublished > 0; i++) {
      await sleep(200);
    }
    assert.equal(json<{ unpublished: number }>(await ok(['outbox', 'status'])).unpublished, 0, 'the cancel went out');

    const again = await cli(['outbox', 'skip', '--id', deadId, '--reason', 'again'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`outbox row ${deadId} is not a dead letter`));
    assert.deepEqual(json(await ok(['verify'])), { ok: true, escrowsChecked: 3, violations: [] });
  });

  it('the same output with the server stopped; the skip left one audit row (who and why)', async () => {
    const through = await Promise.all([
      cli(['suspense', 'list'], env),
      cli(['outbox', 'skip', '--id', deadId, '--reason', 'x', '--dry-run'], env),
    ]);
    await stop(server);
    server = undefined;
    const local = await Promise.all([
      cli(['suspense', 'list'], env),
      cli(['outbox', 'skip', '--id', deadId, '--reason', 'x', '--dry-run'], env),
    ]);
    assert.equal(local[0].code, 0, local[0].stderr);
    assert.equal(local[0].stdout, through[0].stdout);
    assert.equal(json<{ data: unknown[] }>(local[0]).data.length, 3);
    assert.deepEqual([local[1].code, through[1].code], [1, 1], 'not a dead letter any more, either way');
    assert.match(local[1].stderr, /is not a dead letter/);
    assert.match(through[1].stderr, /is not a dead letter/);
    const db = await openPglite(env.DATA_DIR!);
    try {
      const { rows } = await db.query<{ actor_id: string; details: Record<string, unknown> }>(
        `SELECT actor_id, details FROM audit_logs WHERE action = 'outbox.skip'`,
      );
      assert.equal(rows.length, 1, 'the dry runs left no audit row');
      assert.match(rows[0]!.actor_id, /^cli:/);
      assert.deepEqual([rows[0]!.details.reason, rows[0]!.details.id], ['rejected', deadId]);
    } finally {
      await db.close();
    }
    assert.deepEqual(json(await ok(['verify'])), { ok: true, escrowsChecked: 3, violations: [] });
  });
});
