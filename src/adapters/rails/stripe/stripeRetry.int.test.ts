import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { settlementKey } from '../../../app/ports/index.js';
import { FakeStripe } from '../../../../test/fakes/stripeServer.js';
import { order, railFor } from './stripe.kit.js';
import type { StripeRail } from './stripeRail.js';

// An admin retry of a FAILED settlement is a new round (`<id>-r<n>`): a refund Stripe failed in an earlier round is
// history, not the answer to the retry; a refund or transfer that did go through is found whatever the round.
describe('STRIPE rail: settlement rounds after an admin retry', () => {
  const fake = new FakeStripe();
  let rail: StripeRail;
  before(async () => {
    rail = railFor(await fake.start(), fake, { wait: () => Promise.resolve() });
  });
  after(() => fake.stop());

  async function paidEscrow() {
    const escrowId = randomUUID();
    const { reference } = await rail.createPaymentInstructions({
      escrowId,
      amount: 10_000n,
      currency: 'USD',
      idempotencyKey: `create:${escrowId}`,
    });
    const pi = await fake.pay(reference);
    return { escrowId, reference, charge: pi.latest_charge as string };
  }

  it('a refund failed at the bank, retried by an admin: the new round refunds; the old failure is not its answer', async () => {
    const { escrowId, reference, charge } = await paidEscrow();
    const base = order({ kind: 'REFUND', escrowId, paymentReference: reference, fundingTransactionId: charge });
    const first = await rail.executeSettlement(base);
    assert.equal(first.status, 'SUCCEEDED');
    const failedId = (first as { providerReference: string }).providerReference;
    await fake.failRefund(failedId);
    // the same round asked again: still the failed refund (the worker records FAILED)
    assert.equal((await rail.executeSettlement({ ...base, attempt: 2 })).status, 'FAILED');
    const retried = { ...base, attempt: 3, idempotencyKey: settlementKey(base.settlementId, 1) };
    const again = await rail.executeSettlement(retried);
    assert.equal(again.status, 'SUCCEEDED');
    assert.notEqual((again as { providerReference: string }).providerReference, failedId);
    const ours = [...fake.refunds.values()].filter(
      (r) => (r.metadata as { settlement_id?: string }).settlement_id === base.settlementId,
    );
    assert.deepEqual(ours.map((r) => r.status).sort(), ['failed', 'succeeded']);
    // a third look at the retried round finds its own refund: no third refund
    assert.equal((await rail.executeSettlement({ ...retried, attempt: 4 })).status, 'SUCCEEDED');
    assert.equal([...fake.refunds.values()].filter((r) => r.charge === charge).length, 2);
  });
});
