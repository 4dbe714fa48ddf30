import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { signedHeaders } from '../../../src/workers/webhookDispatcher.js';
import { WebhookVerificationError, verifyWebhook, type EscrowEvent } from '../src/index.js';

/**
 * verifyWebhook against signatures made by the standardwebhooks package itself (and by the service's own signer):
 * what verifies returns the event; anything else is a WebhookVerificationError saying why.
 */

const newSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
const event: EscrowEvent = {
  eventId: '0190f0c8-0000-7000-8000-0000000000e1',
  type: 'EscrowFundsHeld',
  escrowId: '0190f0c8-0000-7000-8000-000000000001',
  sequence: 2,
  occurredAt: '2026-11-23T10:00:00.000Z',
  correlationId: null,
  causationId: null,
  actor: { id: 'sandbox', role: 'system' },
  schemaVersion: 1,
  commandId: '0190f0c8-0000-7000-8000-0000000000c1',
  data: { amount: '10000', currency: 'USD' },
};
const body = JSON.stringify(event);

/** The three Standard Webhooks headers for `payload`, signed now (or at `at`) by each of `secrets`. */
function headersFor(payload: string, secrets: string[], at = new Date()): Record<string, string> {
  return {
    'webhook-id': event.eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(event.eventId, at, payload)).join(' '),
  };
}

function refused(reason: string) {
  return (err: unknown) => {
    assert.ok(err instanceof WebhookVerificationError, `a WebhookVerificationError, not ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  };
}

describe('verifyWebhook', () => {
  it('a good signature verifies: the event is returned, from a plain record, Headers or a Buffer body', () => {
    const secret = newSecret();
    const headers = headersFor(body, [secret]);
    assert.deepEqual(verifyWebhook(headers, body, secret), event);
    assert.deepEqual(verifyWebhook(new Headers(headers), body, secret), event);
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
    assert.deepEqual(verifyWebhook(shouted, Buffer.from(body), secret), event);
  });

  it('a tampered body is refused', () => {
    const secret = newSecret();
    const tampered = body.replace('"10000"', '"99999"');
    assert.notEqual(tampered, body);
    assert.throws(() => verifyWebhook(headersFor(body, [secret]), tampered, secret), refused('INVALID_SIGNATURE'));
  });

  it('a signature by another secret is refused', () => {
    assert.throws(
      () => verifyWebhook(headersFor(body, [newSecret()]), body, newSecret()),
      refused('INVALID_SIGNATURE'),
    );
  });

  it('two signatures (a rotation): one valid is enough, none valid is refused', () => {
    const current = newSecret();
    const previous = newSecret();
    const both = headersFor(body, [current, previous]);
    assert.equal(both['webhook-signature']?.split(' ').length, 2);
    assert.deepEqual(verifyWebhook(both, body, current), event);
    assert.deepEqual(verifyWebhook(both, body, previous), event);
    assert.throws(() => verifyWebhook(both, body, newSecret()), refused('INVALID_SIGNATURE'));
  });

  it('a stale timestamp, a missing header, an unreadable timestamp and a bad secret are each named', () => {
    const secret = newSecret();
    const old = headersFor(body, [secret], new Date(Date.now() - 10 * 60_000));
    assert.throws(() => verifyWebhook(old, body, secret), refused('STALE_TIMESTAMP'));
    const { 'webhook-signature': _dropped, ...unsigned } = headersFor(body, [secret]);
    assert.throws(() => verifyWebhook(unsigned, body, secret), refused('MISSING_HEADERS'));
    const garbled = { ...headersFor(body, [secret]), 'webhook-timestamp': 'yesterday' };
    assert.throws(() => verifyWebhook(garbled, body, secret), refused('INVALID_TIMESTAMP'));
    assert.throws(() => verifyWebhook(headersFor(body, [secret]), body, 'whsec_'), refused('INVALID_SECRET'));
  });

  it("the service's own signer (webhooks role, two secrets during a rotation) verifies with either secret", () => {
    const secrets = [newSecret(), newSecret()];
    const message = { eventId: event.eventId, secrets, body } as Parameters<typeof signedHeaders>[0];
    const headers = signedHeaders(message, Math.floor(Date.now() / 1000), 'escrow-services/test');
    for (const secret of secrets) assert.deepEqual(verifyWebhook(headers, body, secret), event);
    assert.throws(() => verifyWebhook(headers, `${body} `, secrets[0]!), refused('INVALID_SIGNATURE'));
  });
});
