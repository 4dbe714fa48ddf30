import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type Engine } from '../src/main.js';
import { assertDatabaseVerifies } from './harness.js';
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
});
