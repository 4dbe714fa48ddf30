import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { order, railFor } from './stripe.kit.js';
import type { StripeRail } from './stripeRail.js';

/**
 * The same adapter against Stripe's own test mode, when STRIPE_TEST_SECRET_KEY (sk_test_…) is set; one counted skip
 * otherwise. Only calls that need no connected account set up run here: payment intents (created, confirmed with the
 * test card pm_card_visa, cancelled), refunds, lookups, the balance, and refusals (an unknown connected account, a
 * payout to it, an over-refund). Payouts that succeed need an onboarded connected account: the fake covers those.
 */
const key = process.env.STRIPE_TEST_SECRET_KEY;
const reason =
  'needs Stripe test mode: set STRIPE_TEST_SECRET_KEY=sk_test_… (a test-mode secret key of a Connect platform)';

describe('STRIPE rail against Stripe test mode', () => {
  if (!key) {
    it(`skipped: ${reason}`, { skip: reason }, () => undefined);
    return;
  }
  if (!key.startsWith('sk_test_') && !key.startsWith('rk_test_')) {
    it('refuses to run with a live key', () => assert.fail('STRIPE_TEST_SECRET_KEY must be a test-mode key'));
    return;
  }
  let rail: StripeRail;
  before(() => {
    rail = railFor('https://api.stripe.com', { secretKey: key, webhookSecret: 'whsec_unused' }, { timeoutMs: 20_000 });
  });

  const create = (escrowId = randomUUID(), idempotencyKey = `create:${escrowId}`) =>
    rail.createPaymentInstructions({ escrowId, amount: 2_000n, currency: 'USD', idempotencyKey });

  it('creates a platform payment intent (transfer_group, metadata, no transfer_data), idempotently', async () => {
    const escrowId = randomUUID();
    const a = await create(escrowId);
    const b = await create(escrowId);
    assert.equal(a.reference, b.reference);
    const pi = await rail.stripe.paymentIntents.retrieve(a.reference);
    assert.equal(pi.transfer_group, escrowId);
    assert.equal(pi.metadata.escrow_id, escrowId);
    assert.equal(pi.transfer_data, null);
    assert.equal(pi.on_behalf_of, null);
    assert.equal((await rail.lookupPayment({ escrowId, reference: a.reference })).status, 'pending');
  });

  it('voids idempotently; a canceled intent looks failed; an unknown one is none', async () => {
    const escrowId = randomUUID();
    const { reference } = await create(escrowId);
    await rail.voidPayment({ escrowId, reference });
    await rail.voidPayment({ escrowId, reference });
    assert.equal((await rail.lookupPayment({ escrowId, reference })).status, 'failed');
    assert.equal((await rail.lookupPayment({ escrowId, reference: 'pi_3ThisDoesNotExist' })).status, 'none');
  });

  it('a paid intent: lookup with the charge, partial refund, lookup of the refund, over-refund refused', async () => {
    const escrowId = randomUUID();
    const { reference } = await create(escrowId);
    await rail.stripe.paymentIntents.confirm(reference, {
      payment_method: 'pm_card_visa',
      return_url: 'https://example.com/return',
    });
    const paid = await rail.lookupPayment({ escrowId, reference });
    assert.equal(paid.status, 'succeeded');
    const charge = (paid as { transactionId: string }).transactionId;
    assert.match(charge, /^(ch|py)_/);
    const refund = order({
      kind: 'REFUND',
      escrowId,
      amount: 500n,
      paymentReference: reference,
      fundingTransactionId: charge,
    });
    const out = await rail.executeSettlement(refund);
    assert.ok(out.status === 'SUCCEEDED' || out.status === 'SUBMITTED');
    assert.notEqual((await rail.lookupSettlement(refund)).status, 'none');
    const tooMuch = await rail.executeSettlement(order({ ...refund, settlementId: randomUUID(), amount: 5_000n }));
    assert.equal(tooMuch.status, 'FAILED');
    assert.equal((tooMuch as { retryable: boolean }).retryable, false);
    assert.match((tooMuch as { reason: string }).reason, /request id req_/);
    const payout = await rail.executeSettlement(
      order({
        kind: 'PAYOUT',
        escrowId,
        amount: 100n,
        fundingTransactionId: charge,
        destination: 'acct_1NoSuchAccount0',
      }),
    );
    assert.equal(payout.status, 'FAILED');
    assert.equal((payout as { retryable: boolean }).retryable, false);
  });

  it('an unknown or malformed connected account is not usable; the balance is digit strings', async () => {
    const missing = await rail.validatePayoutAccount({ sellerId: 's', accountId: 'acct_1NoSuchAccount0' });
    assert.equal(missing.ok, false);
    assert.equal((await rail.validatePayoutAccount({ sellerId: 's', accountId: 'nope' })).ok, false);
    const balances = (await rail.platformBalance())!;
    assert.ok(balances.every((b) => /^[A-Z]{3}$/.test(b.currency) && /^-?[0-9]+$/.test(b.available)));
  });
});
