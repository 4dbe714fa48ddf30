import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { configureStripe, stripeVariables } from './config.js';

const ctx = { production: false, listed: true, apiUrl: 'http://localhost:3000' };
const keys = { STRIPE_SECRET_KEY: 'sk_test_abc123', STRIPE_WEBHOOK_SECRET: 'whsec_abc123' };

describe('STRIPE configuration section', () => {
  it('listed without keys: both are named, in one pass', () => {
    const out = configureStripe({}, ctx);
    assert.equal(out.enabled, true);
    assert.deepEqual(out.problems, [
      'STRIPE_SECRET_KEY: required when STRIPE is in ESCROW_RAILS (a secret key sk_live_… or a restricted key rk_live_…)',
      "STRIPE_WEBHOOK_SECRET: required when STRIPE is in ESCROW_RAILS (the endpoint's signing secret whsec_…)",
    ]);
  });

  it('keys of the wrong kind are refused', () => {
    const out = configureStripe({ STRIPE_SECRET_KEY: 'pk_test_abc', STRIPE_WEBHOOK_SECRET: 'abc' }, ctx);
    assert.equal(out.problems.length, 2);
    assert.match(out.problems[0]!, /^STRIPE_SECRET_KEY: must be a Stripe secret key/);
    assert.match(out.problems[1]!, /^STRIPE_WEBHOOK_SECRET: must be .* whsec_/);
  });

  it('production refuses a test key (secret or restricted), accepts a live one', () => {
    for (const key of ['sk_test_abc123', 'rk_test_abc123']) {
      const out = configureStripe({ ...keys, STRIPE_SECRET_KEY: key }, { ...ctx, production: true });
      assert.deepEqual(out.problems.length, 1);
      assert.match(out.problems[0]!, /^STRIPE_SECRET_KEY: a test-mode key in production/);
    }
    const live = configureStripe({ ...keys, STRIPE_SECRET_KEY: 'rk_live_abc123' }, { ...ctx, production: true });
    assert.deepEqual(live.problems, []);
  });

  it('defaults: Stripe API, 10 s timeout, 2 network retries; values are read when set', () => {
    assert.deepEqual(configureStripe(keys, ctx).settings, {
      secretKey: 'sk_test_abc123',
      webhookSecret: 'whsec_abc123',
      apiUrl: 'https://api.stripe.com',
      apiVersion: null,
      timeoutMs: 10_000,
      maxNetworkRetries: 2,
      connectClientId: null,
    });
    const set = configureStripe(
      {
        ...keys,
        STRIPE_API_URL: 'http://127.0.0.1:12111',
        STRIPE_TIMEOUT_MS: '2500',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        STRIPE_API_VERSION: '2026-10-28.endive',
        STRIPE_CONNECT_CLIENT_ID: 'ca_123',
      },
      ctx,
    );
    assert.equal(set.settings.apiUrl, 'http://127.0.0.1:12111');
    assert.equal(set.settings.timeoutMs, 2500);
    assert.equal(set.settings.maxNetworkRetries, 0);
    assert.equal(set.settings.apiVersion, '2026-10-28.endive');
    assert.equal(set.settings.connectClientId, 'ca_123');
    assert.deepEqual(set.problems, []);
    const bounds = configureStripe({ ...keys, STRIPE_TIMEOUT_MS: '5', STRIPE_MAX_NETWORK_RETRIES: '50' }, ctx);
    assert.equal(bounds.problems.length, 2);
  });

  it('not listed: not enabled and no problems, whatever is set', () => {
    const out = configureStripe({ STRIPE_SECRET_KEY: 'nonsense' }, { ...ctx, production: true, listed: false });
    assert.equal(out.enabled, false);
    assert.deepEqual(out.problems, []);
  });

  it('the variables validate their shapes (URL, whole numbers), all optional', () => {
    const schema = z.object(stripeVariables);
    assert.equal(schema.safeParse({}).success, true);
    assert.equal(schema.safeParse({ STRIPE_API_URL: 'not a url' }).success, false);
    assert.equal(schema.safeParse({ STRIPE_TIMEOUT_MS: '1.5' }).success, false);
    assert.equal(schema.safeParse({ STRIPE_MAX_NETWORK_RETRIES: '3' }).success, true);
  });
});
