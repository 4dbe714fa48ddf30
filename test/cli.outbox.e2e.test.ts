import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type Engine } from '../src/main.js';
import { freshPostgresDatabase, runCli } from './processHarness.js';
import { suite } from './services.js';
import type { Database } from '../src/adapters/db/database.js';

/** `escrow outbox status | dlq | replay` against a database with published and dead-lettered events. */

const SECRET = 'cli-outbox-secret-'.padEnd(80, 'x');
suite('escrow outbox', ['postgres'], () => {
  let database: { url: string; db: Database; drop: () => Promise<void> };
  let engine: Engine;
  let env: Record<string, string>;
  let escrowId: string;

  before(async () => {
    database = await freshPostgresDatabase();
    env = { DATABASE_URL: database.url, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' };
    engine = await createEngine(loadConfig({ ...env, NODE_ENV: 'test' }), { logger: pino({ level: 'silent' }) });
    for (let i = 0; i < 2; i++) {
      const created = await engine.service.create(
        { id: 'svc', role: 'service' },
        {
          offerId: `o-${randomBytes(5).toString('hex')}`,
          buyerId: 'b-1',
          sellerId: 's-1',
          rail: 'SANDBOX',
          currency: 'USD',
          amount: '1000',
        },
      );
      escrowId = created.result.escrowId;
      await engine.simulator.pay(created.escrow.payment.reference, { outcome: 'succeed' });
    }
    while ((await engine.outbox.runOnce()) > 0);
  });
  after(async () => {
    await engine?.stop();
    await database?.drop();
  });

  const cli = async (...args: string[]) => {
    const r = await runCli(['outbox', ...args], env);
    return { code: r.code, out: r.out, json: JSON.parse(r.out) as Record<string, unknown> & unknown[] };
  };

  it('status: all published; then dead letters are listed, redriven by id or all, and published again', async () => {
    let status = await cli('status');
    assert.equal(status.code, 0, status.out);
    assert.deepEqual(
      { ...status.json, oldestAgeSeconds: 0 },
      { status: 'ok', unpublished: 0, oldestAgeSeconds: 0, deadLetters: 0 },
    );

    // two events of one escrow failed for good
    const { rows } = await database.db.query<{ id: string }>(
      `UPDATE outbox SET published_at = NULL, dead_lettered_at = now(), attempts = 10, last_error = 'broker said no'
        WHERE escrow_id = $1 RETURNING id::text`,
      [escrowId],
    );
    assert.equal(rows.length, 2);
    status = await cli('status');
    assert.equal((status.json as unknown as { deadLetters: number }).deadLetters, 2);

    const dlq = await cli('dlq');
    assert.equal(dlq.code, 0);
    const letters = dlq.json as unknown as { id: string; escrowId: string; eventType: string; lastError: string }[];
    assert.deepEqual(
      letters.map((l) => [l.escrowId, l.eventType, l.lastError]),
      [
        [escrowId, 'EscrowCreated', 'broker said no'],
        [escrowId, 'EscrowFundsHeld', 'broker said no'],
      ],
    );

    assert.equal((await runCli(['outbox', 'replay'], env)).code, 2, 'replay needs a choice');
    assert.equal((await runCli(['outbox', 'replay', '--id', 'x'], env)).code, 2);
    const one = await cli('replay', '--id', letters[0]!.id);
    assert.deepEqual(one.json, { queued: 1 });
    const rest = await cli('replay', '--all');
    assert.deepEqual(rest.json, { queued: 1 });
    status = await cli('status');
    assert.equal((status.json as unknown as { unpublished: number }).unpublished, 2);
    assert.equal(await engine.outbox.runOnce(), 2);
    status = await cli('status');
    assert.equal((status.json as unknown as { unpublished: number; deadLetters: number }).unpublished, 0);

    // an escrow's whole stream can be sent again (consumers deduplicate by event id)
    const again = await cli('replay', '--escrow', escrowId);
    assert.deepEqual(again.json, { queued: 2 });
    assert.equal(await engine.outbox.runOnce(), 2);
    const verified = await runCli(['verify'], env);
    assert.equal(verified.code, 0, verified.out);
  });
});
