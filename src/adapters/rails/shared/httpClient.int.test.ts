import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { RailHttpClient, RailHttpError } from './httpClient.js';

/** A provider over real HTTP that answers from a script, recording every request it got. */
function provider() {
  const seen: { method: string; url: string; key: string | undefined; body: string }[] = [];
  let script: ((n: number) => { status: number; body?: unknown; headers?: Record<string, string> })[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, key: req.headers['idempotency-key'] as string, body });
      const step = script[Math.min(seen.length - 1, script.length - 1)]!(seen.length);
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(step.body === undefined ? '' : JSON.stringify(step.body));
    });
  });
  return {
    seen,
    server,
    answer: (...steps: typeof script) => {
      script = steps;
      seen.length = 0;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

describe('RailHttpClient (rails without an SDK)', () => {
  const p = provider();
  const waits: number[] = [];
  let client: RailHttpClient;
  before(async () => {
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    client = new RailHttpClient({
      baseUrl: p.url(),
      headers: { authorization: 'Bearer sk_test' },
      wait: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    });
  });
  after(() => new Promise<void>((resolve) => p.server.close(() => resolve())));

  it('a keyed POST is retried after 5xx with the same Idempotency-Key, and answers the JSON body', async () => {
    waits.length = 0;
    p.answer(
      () => ({ status: 503 }),
      () => ({ status: 502 }),
      () => ({ status: 200, body: { id: 'tr_1', amount: '10000' } }),
    );
    const out = await client.request({
      method: 'POST',
      path: '/transfers',
      body: { amount: '10000' },
      idempotencyKey: 'k-1',
    });
    assert.deepEqual(out, { id: 'tr_1', amount: '10000' });
    assert.equal(p.seen.length, 3);
    assert.deepEqual(
      p.seen.map((s) => s.key),
      ['k-1', 'k-1', 'k-1'],
    );
    assert.equal(p.seen[0]!.body, '{"amount":"10000"}');
    assert.deepEqual(waits, [100, 200], 'full-jitter backoff doubling from 200 ms');
  });

  it('a POST without a key is sent once: a 503 may have been applied', async () => {
    p.answer(() => ({ status: 503 }));
    await assert.rejects(client.request({ method: 'POST', path: '/charges', body: {} }), (err: RailHttpError) => {
      assert.equal(err.status, 503);
      assert.equal(err.retryable, true);
      return true;
    });
    assert.equal(p.seen.length, 1);
  });

  it('a 4xx is final and carries the provider body; Retry-After on a 429 sets the wait', async () => {
    p.answer(() => ({ status: 400, body: { error: 'amount_invalid' } }));
    await assert.rejects(client.request({ method: 'GET', path: '/x', query: { a: '1' } }), (err: RailHttpError) => {
      assert.equal(err.status, 400);
      assert.equal(err.retryable, false);
      assert.deepEqual(err.body, { error: 'amount_invalid' });
      return true;
    });
    assert.equal(p.seen[0]!.url, '/x?a=1');
    waits.length = 0;
    p.answer(
      () => ({ status: 429, headers: { 'retry-after': '2' } }),
      () => ({ status: 200, body: { ok: true } }),
    );
    assert.deepEqual(await client.request({ method: 'GET', path: '/y' }), { ok: true });
    assert.deepEqual(waits, [2000]);
  });

  it('gives up after the configured retries with the last error', async () => {
    p.answer(() => ({ status: 500 }));
    await assert.rejects(
      client.request({ method: 'POST', path: '/refunds', idempotencyKey: 'k-2' }),
      (err: RailHttpError) => err.status === 500,
    );
    assert.equal(p.seen.length, 4, 'one attempt and three retries');
  });

  it('no answer at all (connection refused) is retryable with status 0', async () => {
    const dead = new RailHttpClient({ baseUrl: 'http://127.0.0.1:1', retries: 1, wait: () => Promise.resolve() });
    await assert.rejects(dead.request({ method: 'GET', path: '/' }), (err: RailHttpError) => {
      assert.equal(err.status, 0);
      assert.equal(err.retryable, true);
      return true;
    });
  });
});
