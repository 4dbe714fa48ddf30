import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { PaystackSettings } from './config.js';
import { PaystackRail } from './paystackRail.js';

/**
 * The same adapter against Paystack's own test mode, when PAYSTACK_TEST_SECRET_KEY (sk_test_…) is set. Only what
 * needs no setup at Paystack runs there: initialize, verify (an unpaid checkout is pending), the balance, and a
 * recipient code that does not exist.
 */
const testKey = process.env.PAYSTACK_TEST_SECRET_KEY;
describe('PaystackRail against Paystack test mode', () => {
  if (!testKey) {
    it(
      'skipped: needs PAYSTACK_TEST_SECRET_KEY=sk_test_… (a Paystack test-mode secret key)',
      {
        skip: 'needs PAYSTACK_TEST_SECRET_KEY=sk_test_… (a Paystack test-mode secret key)',
      },
      () => undefined,
    );
    return;
  }
  const settings: PaystackSettings = {
    secretKey: testKey,
    apiUrl: process.env.PAYSTACK_API_URL ?? 'https://api.paystack.co',
    timeoutMs: 15_000,
    callbackUrl: null,
    customerEmailDomain: process.env.PAYSTACK_CUSTOMER_EMAIL_DOMAIN ?? 'example.com',
    retries: 2,
  };
  const real = new PaystackRail(settings);

  it('initializes a transaction, a repeat gives the same, and verify says it is not paid yet', async () => {
    const escrowId = randomUUID();
    const input = { escrowId, amount: 10_000n, currency: 'NGN', idempotencyKey: `create:${escrowId}` };
    const out = await real.createPaymentInstructions(input);
    assert.equal(out.reference, `esc-${escrowId.replace(/-/g, '')}`);
    assert.match(out.payUrl ?? '', /^https:\/\/checkout\.paystack\.com\//);
    const again = await new PaystackRail(settings).createPaymentInstructions(input).catch(() => null);
    assert.ok(again === null || again.reference === out.reference);
    assert.equal((await real.lookupPayment({ escrowId, reference: out.reference })).status, 'pending');
    assert.equal(
      (await real.lookupPayment({ escrowId, reference: `esc-${randomUUID().replace(/-/g, '')}` })).status,
      'none',
    );
  });

  it('the balance and an unknown recipient', async () => {
    const balance = await real.platformBalance();
    assert.ok(Array.isArray(balance) && balance.every((b) => /^-?\d+$/.test(b.available)));
    assert.deepEqual(await real.validatePayoutAccount({ sellerId: 's', accountId: 'RCP_doesnotexist0' }), {
      ok: false,
      reason: 'no such transfer recipient',
    });
  });
});
