import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EscrowApiError, createEscrowClient, type EscrowClientOptions, type RetryEvent } from '../src/index.js';
import { ScriptedServer, problemReply, type Reply } from './scriptedServer.js';

/**
 * The client's retries and Idempotency-Keys against a real HTTP server that answers from a script: what is sent,
 * how often and in what order. Waits go through a recording `sleep` (the delays asked for, never the time taken).
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ESCROW_ID = '0190f0c8-0000-7000-8000-000000000001';
const createBody = {
  offerId: 'offer-1',
  buyerId: 'buyer-1',
  sellerId: 'seller-1',
  rail: 'SANDBOX' as const,
  currency: 'USD',
  amount: '10000',
};
const created: Reply = { status: 201, body: { id: ESCROW_ID, status: 'AWAIT_FUNDS' } };
const ok: Reply = { status: 200, body: { id: ESCROW_ID, status: 'FUNDS_HELD' } };

describe('retries and idempotency keys', () => {
  const server = new ScriptedServer();
  let waits: number[];
  let retries: RetryEvent[];

  const client = (over: Partial<EscrowClientOptions> = {}) =>
    createEscrowClient({
      baseUrl: server.baseUrl,
      token: 'tok-1',
      retries: {
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
        onRetry: (r) => retries.push(r),
      },
      ...over,
    });
  const keys = () => server.seen.map((r) => r.headers['idempotency-key']);

  before(() => server.start());
  after(() => server.stop());
  beforeEach(() => {
    waits = [];
    retries = [];
  });

  it('a POST gets an Idempotency-Key, the same on every retry of 409 IN_FLIGHT, 429 and 503', async () => {
    server.answer(
      problemReply(503, 'DATABASE_UNAVAILABLE', { 'retry-after': '5' }),
      problemReply(429, 'RATE_LIMITED', { 'retry-after': '2' }),
      problemReply(409, 'IDEMPOTENCY_KEY_IN_FLIGHT', { 'retry-after': '1' }),
      created,
    );
    const api = client();
    const escrow = await api.unwrap(api.POST('/api/escrow', { body: createBody }));
    assert.deepEqual(escrow, { id: ESCROW_ID, status: 'AWAIT_FUNDS' });
    assert.equal(server.seen.length, 4);
    const [key] = keys();
    assert.match(String(key), UUID_RE);
    assert.deepEqual(keys(), [key, key, key, key]);
    assert.deepEqual(
      server.seen.map((r) => JSON.parse(r.body) as unknown),
      Array(4).fill(createBody),
    );
    assert.deepEqual(
      server.seen.map((r) => r.headers.authorization),
      Array(4).fill('Bearer tok-1'),
    );
    assert.deepEqual(waits, [5000, 2000, 1000], 'each Retry-After, in order');
    assert.deepEqual(
      retries.map((r) => [r.retry, r.reason, r.idempotencyKey]),
      [
        [1, 'HTTP 503', key],
        [2, 'HTTP 429', key],
        [3, 'IDEMPOTENCY_KEY_IN_FLIGHT', key],
      ],
    );
  });

  it('two POSTs get two keys; a key the caller sets is kept, or the generator given makes them', async () => {
    server.answer(created);
    const api = client();
    await api.POST('/api/escrow', { body: createBody });
    await api.POST('/api/escrow', { body: createBody });
    await api.POST('/api/escrow', { body: createBody, headers: { 'idempotency-key': 'offer-1-create' } });
    await api.POST('/api/escrow', { body: createBody, params: { header: { 'idempotency-key': 'offer-1-again' } } });
    const [a, b, c, d] = keys();
    assert.notEqual(a, b);
    assert.deepEqual([c, d], ['offer-1-create', 'offer-1-again']);
    let n = 0;
    server.answer(created);
    const counted = client({ idempotencyKeys: () => `key-${++n}` });
    await counted.POST('/api/escrow', { body: createBody });
    await counted.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } });
    assert.deepEqual(keys(), ['key-1', undefined], 'only POSTs get one');
  });

  it('Retry-After as an HTTP date is honoured, and capped at maxDelayMs like delta seconds', async () => {
    const soon = new Date(Date.now() + 120_000).toUTCString();
    server.answer(
      problemReply(503, 'PAUSED', { 'retry-after': soon }),
      problemReply(429, 'RATE_LIMITED', { 'retry-after': '3600' }),
      ok,
    );
    const api = client({ retries: { maxDelayMs: 200_000, sleep: (ms) => (waits.push(ms), Promise.resolve()) } });
    await api.unwrap(api.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } }));
    assert.equal(server.seen.length, 3);
    assert.equal(waits.length, 2);
    assert.ok(waits[0]! > 100_000 && waits[0]! <= 120_000, `the date's distance, not a backoff: ${waits[0]}`);
    assert.equal(waits[1], 200_000, 'an hour is capped');
  });

  it('without Retry-After: exponential backoff with jitter', async () => {
    server.answer(problemReply(503, 'PROVIDER_UNAVAILABLE'));
    const api = client({
      retries: { max: 4, baseDelayMs: 100, sleep: (ms) => (waits.push(ms), Promise.resolve()) },
    });
    const res = await api.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } });
    assert.equal(res.response.status, 503, 'the last answer once the retries are spent');
    assert.equal(server.seen.length, 5);
    assert.equal(waits.length, 4);
    waits.forEach((ms, i) => {
      const ceiling = 100 * 2 ** i;
      assert.ok(
        ms >= ceiling / 2 && ms <= ceiling,
        `retry ${i + 1} waits ${ms} ms, within [${ceiling / 2}, ${ceiling}]`,
      );
    });
  });

  it('gives up after max retries (default 3) and surfaces the last problem', async () => {
    server.answer(problemReply(503, 'DATABASE_UNAVAILABLE', { 'retry-after': '1' }));
    const api = client();
    await assert.rejects(api.unwrap(api.POST('/api/escrow', { body: createBody })), (err: unknown) => {
      assert.ok(err instanceof EscrowApiError);
      assert.equal(err.status, 503);
      assert.equal(err.code, 'DATABASE_UNAVAILABLE');
      return true;
    });
    assert.equal(server.seen.length, 4);
    assert.equal(new Set(keys()).size, 1, 'one key for all four attempts');
  });

  it('other refusals are answered at once: 409 of another code, 422, 500', async () => {
    for (const reply of [
      problemReply(409, 'INVALID_STATE_TRANSITION', {}, { currentStatus: 'RELEASED' }),
      problemReply(422, 'IDEMPOTENCY_KEY_REUSED'),
      problemReply(500, 'INTERNAL_ERROR'),
    ]) {
      server.answer(reply, created);
      const api = client();
      const res = await api.POST('/api/escrow', { body: createBody });
      assert.equal(res.error?.code, (reply as { body: { code: string } }).body.code);
      assert.equal(server.seen.length, 1);
    }
    assert.deepEqual(waits, []);
  });

  it('a network error is retried for a POST (it has a key) and a GET, not for a PUT without a key', async () => {
    server.answer('drop', created);
    const api = client();
    const escrow = await api.applied(api.POST('/api/escrow', { body: createBody }));
    assert.equal(escrow.id, ESCROW_ID);
    assert.equal(server.seen.length, 2);
    assert.equal(new Set(keys()).size, 1);

    server.answer('drop', ok);
    await api.unwrap(api.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } }));
    assert.equal(server.seen.length, 2);

    server.answer('drop', ok);
    const put = api.PUT('/api/escrow/{id}/vault', {
      params: { path: { id: ESCROW_ID } },
      body: { kind: 'OTHER', secret: 's3cret' },
    });
    await assert.rejects(put, TypeError);
    assert.equal(server.seen.length, 1, 'a PUT without a key is not repeated');
    assert.equal(retries.length, 2, 'the POST and the GET were retried once each');
  });

  it('retries: false sends once; getToken is asked per request; an Authorization the caller sets is kept', async () => {
    server.answer(problemReply(503, 'DATABASE_UNAVAILABLE', { 'retry-after': '1' }));
    let n = 0;
    const api = client({ retries: false, token: undefined, getToken: () => Promise.resolve(`fresh-${++n}`) });
    await api.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } });
    await api.GET('/api/escrow/{id}', {
      params: { path: { id: ESCROW_ID } },
      headers: { authorization: 'Bearer mine' },
    });
    await api.GET('/api/escrow/{id}', { params: { path: { id: ESCROW_ID } } });
    assert.deepEqual(
      server.seen.map((r) => r.headers.authorization),
      ['Bearer fresh-1', 'Bearer mine', 'Bearer fresh-2'],
    );
    assert.deepEqual(waits, []);
  });
});
