import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import type { OutgoingResult } from '../app/ports/webhookSender.js';
import { decide, signedHeaders } from './webhookDispatcher.js';

/** Standard Webhooks' schedule (WEBHOOKS_RETRY_SCHEDULE's default). */
const schedule = [0, 5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400].map((s) => s * 1000);
const at = new Date('2026-12-03T12:00:00Z');
const answer = (status: number, extra: Partial<OutgoingResult> = {}): OutgoingResult =>
  ({
    kind: 'response',
    status,
    latencyMs: 12,
    excerpt: '',
    retryAfterMs: null,
    location: null,
    ...extra,
  }) as OutgoingResult;

describe('decide: what an attempt leads to', () => {
  it('a 2xx is delivered', () => {
    for (const status of [200, 201, 204, 299])
      assert.equal(decide(answer(status), 0, schedule, at).outcome, 'DELIVERED');
  });

  it('429, 5xx, network errors and timeouts are retried on the schedule: 5 s after the first, 5 min after the second', () => {
    assert.deepEqual(decide(answer(500), 0, schedule, at), { outcome: 'RETRYING', retryInMs: 5000, error: 'HTTP 500' });
    assert.equal(decide(answer(503), 1, schedule, at).retryInMs, 300_000);
    assert.equal(decide(answer(429), 2, schedule, at).retryInMs, 1_800_000);
    const down: OutgoingResult = { kind: 'failure', reason: 'network', error: 'connect ECONNREFUSED', latencyMs: 1 };
    assert.deepEqual(decide(down, 8, schedule, at), {
      outcome: 'RETRYING',
      retryInMs: 86_400_000,
      error: 'connect ECONNREFUSED',
    });
    const slow: OutgoingResult = {
      kind: 'failure',
      reason: 'timeout',
      error: 'no answer in 15000 ms',
      latencyMs: 15000,
    };
    assert.equal(decide(slow, 3, schedule, at).retryInMs, 7_200_000);
  });

  it('gives up after the tenth attempt of the schedule', () => {
    const last = decide(answer(500), schedule.length - 1, schedule, at);
    assert.equal(last.outcome, 'FAILED');
    assert.match(last.error!, /gave up after 10 attempts/);
  });

  it('honours a longer Retry-After, never a shorter one, and caps it at 24 hours', () => {
    assert.equal(decide(answer(429, { retryAfterMs: 60_000 }), 0, schedule, at).retryInMs, 60_000);
    assert.equal(decide(answer(503, { retryAfterMs: 1000 }), 0, schedule, at).retryInMs, 5000);
    assert.equal(decide(answer(503, { retryAfterMs: 10 * 86_400_000 }), 0, schedule, at).retryInMs, 86_400_000);
  });

  it('410 fails the message and disables the endpoint', () => {
    const gone = decide(answer(410), 0, schedule, at);
    assert.equal(gone.outcome, 'FAILED');
    assert.equal(gone.disableEndpoint, 'the receiver answered 410 Gone at 2026-12-03T12:00:00.000Z');
  });

  it('other 4xx, redirects and refused addresses are not retried', () => {
    assert.match(decide(answer(400), 0, schedule, at).error!, /HTTP 400 is not retried/);
    assert.equal(decide(answer(401), 0, schedule, at).outcome, 'FAILED');
    const moved = decide(answer(301, { location: 'https://elsewhere.example/' }), 0, schedule, at);
    assert.equal(moved.outcome, 'FAILED');
    assert.match(moved.error!, /redirect to https:\/\/elsewhere\.example\/ not followed/);
    const refused: OutgoingResult = {
      kind: 'failure',
      reason: 'refused',
      error: 'address 10.0.0.7 is private',
      latencyMs: 0,
    };
    assert.deepEqual(decide(refused, 0, schedule, at), { outcome: 'FAILED', error: 'address 10.0.0.7 is private' });
  });
});

describe('signedHeaders: Standard Webhooks', () => {
  const secret = (n: number) => `whsec_${Buffer.alloc(32, n).toString('base64')}`;
  const message = (secrets: string[]) => ({
    id: '1',
    endpointId: 'e',
    url: 'https://hooks.example/',
    eventId: '0190f0c8-0000-7000-8000-0000000000e1',
    eventType: 'EscrowCreated',
    escrowId: '0190f0c8-0000-7000-8000-00000000000a',
    body: '{"type":"EscrowCreated"}',
    attempts: 0,
    round: 0,
    secrets,
    createdAt: at.toISOString(),
  });

  it('verifies with the standardwebhooks package, webhook-id being the event id', () => {
    const now = Math.floor(Date.now() / 1000);
    const headers = signedHeaders(message([secret(1)]), now, 'test');
    assert.equal(headers['webhook-id'], '0190f0c8-0000-7000-8000-0000000000e1');
    assert.equal(headers['webhook-timestamp'], String(now));
    assert.match(headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(new Webhook(secret(1)).verify('{"type":"EscrowCreated"}', headers), { type: 'EscrowCreated' });
    assert.throws(() => new Webhook(secret(2)).verify('{"type":"EscrowCreated"}', headers));
    assert.throws(() => new Webhook(secret(1)).verify('{"type":"EscrowReleased"}', headers));
  });

  it('during a rotation both secrets sign, space-separated, and either verifies', () => {
    const headers = signedHeaders(message([secret(3), secret(4)]), Math.floor(Date.now() / 1000), 'test');
    assert.equal(headers['webhook-signature']!.split(' ').length, 2);
    for (const s of [secret(3), secret(4)]) assert.ok(new Webhook(s).verify('{"type":"EscrowCreated"}', headers));
  });
});
