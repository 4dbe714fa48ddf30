import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configurePaystack } from './config.js';

describe('configurePaystack', () => {
  const ctx = { production: false, listed: true, apiUrl: 'https://escrow.example.com' };
  const key = 'sk_live_abc123';

  it('not listed: disabled, whatever is set', () => {
    const out = configurePaystack({ PAYSTACK_SECRET_KEY: 'junk' }, { ...ctx, listed: false });
    assert.deepEqual([out.enabled, out.problems], [false, []]);
  });

  it('listed: settings with defaults; the email domain from API_URL', () => {
    const out = configurePaystack({ PAYSTACK_SECRET_KEY: key }, ctx);
    assert.deepEqual(out.problems, []);
    assert.equal(out.enabled, true);
    assert.deepEqual(out.settings, {
      secretKey: key,
      apiUrl: 'https://api.paystack.co',
      timeoutMs: 10_000,
      callbackUrl: null,
      customerEmailDomain: 'escrow.example.com',
    });
    const set = configurePaystack(
      {
        PAYSTACK_SECRET_KEY: key,
        PAYSTACK_API_URL: 'https://paystack.internal.example.com/',
        PAYSTACK_TIMEOUT_MS: '2500',
        PAYSTACK_CALLBACK_URL: 'https://shop.example.com/paid',
        PAYSTACK_CUSTOMER_EMAIL_DOMAIN: 'Buyers.Example.com',
      },
      ctx,
    );
    assert.deepEqual(set.problems, []);
    assert.equal(set.settings.apiUrl, 'https://paystack.internal.example.com');
    assert.equal(set.settings.timeoutMs, 2500);
    assert.equal(set.settings.callbackUrl, 'https://shop.example.com/paid');
    assert.equal(set.settings.customerEmailDomain, 'buyers.example.com');
  });

  it('the key: required, a secret key, live in production; never echoed', () => {
    assert.match(configurePaystack({}, ctx).problems.join(), /PAYSTACK_SECRET_KEY: required/);
    const pk = configurePaystack({ PAYSTACK_SECRET_KEY: 'pk_live_secretvalue' }, ctx).problems.join();
    assert.match(pk, /must be a Paystack secret key/);
    assert.doesNotMatch(pk, /secretvalue/);
    const prod = configurePaystack({ PAYSTACK_SECRET_KEY: 'sk_test_abc' }, { ...ctx, production: true });
    assert.match(prod.problems.join(), /test key \(sk_test_…\) in production/);
    assert.deepEqual(configurePaystack({ PAYSTACK_SECRET_KEY: 'sk_test_abc' }, ctx).problems, []);
    assert.deepEqual(configurePaystack({ PAYSTACK_SECRET_KEY: key }, { ...ctx, production: true }).problems, []);
  });

  it('the email domain, the timeout, an http API URL in production', () => {
    const local = configurePaystack({ PAYSTACK_SECRET_KEY: key }, { ...ctx, apiUrl: 'http://localhost:3000' });
    assert.match(local.problems.join(), /PAYSTACK_CUSTOMER_EMAIL_DOMAIN: required/);
    const ip = configurePaystack({ PAYSTACK_SECRET_KEY: key }, { ...ctx, apiUrl: 'http://10.0.0.5:3000' });
    assert.match(ip.problems.join(), /PAYSTACK_CUSTOMER_EMAIL_DOMAIN: required/);
    const bad = configurePaystack({ PAYSTACK_SECRET_KEY: key, PAYSTACK_CUSTOMER_EMAIL_DOMAIN: 'not a domain' }, ctx);
    assert.match(bad.problems.join(), /must be a domain name/);
    assert.match(
      configurePaystack({ PAYSTACK_SECRET_KEY: key, PAYSTACK_TIMEOUT_MS: '5' }, ctx).problems.join(),
      /PAYSTACK_TIMEOUT_MS/,
    );
    const http = configurePaystack(
      { PAYSTACK_SECRET_KEY: key, PAYSTACK_API_URL: 'http://paystack.example.com' },
      { ...ctx, production: true },
    );
    assert.match(http.problems.join(), /PAYSTACK_API_URL: must be https in production/);
  });
});
