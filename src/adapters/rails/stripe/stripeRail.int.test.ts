import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RailError } from '../../../app/ports/index.js';
import { FakeStripe } from '../../../../test/fakes/stripeServer.js';
import { order, railFor } from './stripe.kit.js';
import type { StripeRail } from './stripeRail.js';

describe('STRIPE rail against the fake Stripe API (separate charges and transfers)', () => {
  const fake = new FakeStripe();
  const waits: number[] = [];
  const logs: string[] = [];
  let rail: StripeRail;
  before(async () => {
    const url = await fake.start();
    rail = railFor(url, fake, {
      wait: (ms) => (waits.push(ms), Promise.resolve()),
      log: (m) => logs.push(m),
    });
  });
  after(() => fake.stop());
  beforeEach(() => {
    fake.requests.length = 0;
    waits.length = 0;
  });

  /** An escrow paid at the fake: its payment intent and charge. */
  async function paidEscrow(amount = 10_000n) {
    const escrowId = randomUUID();
    const { reference } = await rail.createPaymentInstructions({
      escrowId,
      amount,
      currency: 'USD',
      idempotencyKey: `create:${escrowId}`,
    });
    const pi = await fake.pay(reference);
    return { escrowId, reference, charge: pi.latest_charge as string };
  }

  it('creates a payment intent on the platform: transfer_group and metadata = escrow id, no transfer_data', async () => {
    const escrowId = randomUUID();
    const out = await rail.createPaymentInstructions({
      escrowId,
      amount: 12_345n,
      currency: 'EUR',
      idempotencyKey: `create:${escrowId}`,
    });
    assert.match(out.reference, /^pi_/);
    assert.match(out.clientSecret!, new RegExp(`^${out.reference}_secret_`));
    const [req] = fake.requests;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/v1/payment_intents');
    assert.equal(req!.idempotencyKey, `create:${escrowId}`);
    assert.equal(req!.headers.authorization, `Bearer ${fake.secretKey}`);
    assert.deepEqual(req!.params, {
      amount: '12345',
      currency: 'eur',
      transfer_group: escrowId,
      metadata: { escrow_id: escrowId },
      automatic_payment_methods: { enabled: 'true' },
    });
    assert.equal(fake.paymentIntents.get(out.reference)!.transfer_data, null);
    assert.equal(fake.paymentIntents.get(out.reference)!.on_behalf_of, null);
  });

  it('the same idempotency key twice is one payment intent', async () => {
    const escrowId = randomUUID();
    const before = fake.paymentIntents.size;
    const input = { escrowId, amount: 500n, currency: 'USD', idempotencyKey: `create:${escrowId}` };
    const a = await rail.createPaymentInstructions(input);
    const b = await rail.createPaymentInstructions(input);
    assert.equal(a.reference, b.reference);
    assert.equal(fake.paymentIntents.size, before + 1);
    assert.deepEqual(
      fake.requests.map((r) => r.idempotencyKey),
      [input.idempotencyKey, input.idempotencyKey],
    );
  });

  it('refuses an amount a number cannot carry exactly, without calling Stripe', async () => {
    const input = { escrowId: randomUUID(), amount: 2n ** 60n, currency: 'USD', idempotencyKey: 'k-big' };
    await assert.rejects(rail.createPaymentInstructions(input), (e: RailError) => !e.retryable);
    assert.equal(fake.requests.length, 0);
  });

  it('a payout is a transfer from the charge to the connected account, keyed by the settlement id', async () => {
    const { escrowId, reference, charge } = await paidEscrow();
    const acct = fake.addAccount().id;
    const o = order({
      kind: 'PAYOUT',
      escrowId,
      paymentReference: reference,
      fundingTransactionId: charge,
      destination: acct,
    });
    fake.requests.length = 0;
    const out = await rail.executeSettlement(o);
    assert.equal(out.status, 'SUCCEEDED');
    assert.match((out as { providerReference: string }).providerReference, /^tr_/);
    const [req] = fake.requests;
    assert.equal(req!.path, '/v1/transfers');
    assert.equal(req!.idempotencyKey, o.settlementId);
    assert.deepEqual(req!.params, {
      amount: '10000',
      currency: 'usd',
      destination: acct,
      source_transaction: charge,
      transfer_group: escrowId,
      metadata: { escrow_id: escrowId, settlement_id: o.settlementId, settlement_key: o.idempotencyKey },
    });
  });

  it('a payout answered 500 is retried with the same key and moves money once', async () => {
    const { escrowId, charge } = await paidEscrow();
    const o = order({ kind: 'PAYOUT', escrowId, fundingTransactionId: charge, destination: fake.addAccount().id });
    const transfers = fake.transfers.size;
    fake.requests.length = 0;
    fake.failNext(1, 500);
    const out = await rail.executeSettlement(o);
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(fake.transfers.size, transfers + 1);
    const calls = fake.requests.filter((r) => r.path === '/v1/transfers');
    assert.equal(calls.length, 2);
    assert.ok(calls.every((r) => r.idempotencyKey === o.settlementId));
  });

  it('a payout that timed out after Stripe applied it is retried and replayed: one transfer', async () => {
    const { escrowId, charge } = await paidEscrow();
    const o = order({ kind: 'PAYOUT', escrowId, fundingTransactionId: charge, destination: fake.addAccount().id });
    const transfers = fake.transfers.size;
    fake.hangNext(1);
    const out = await rail.executeSettlement(o);
    assert.equal(out.status, 'SUCCEEDED');
    assert.equal(fake.transfers.size, transfers + 1);
    assert.equal(fake.requests.filter((r) => r.path === '/v1/transfers').length, 2);
    // The worker asks again later (attempt 2): Stripe's transfer is found and answered, nothing is moved again.
    const again = await rail.executeSettlement({ ...o, attempt: 2 });
    assert.deepEqual(again, out);
    assert.equal(fake.transfers.size, transfers + 1);
  });

  it('5xx until the SDK gives up: thrown as a retryable RailError with the request id', async () => {
    const { escrowId, charge } = await paidEscrow();
    const o = order({ kind: 'PAYOUT', escrowId, fundingTransactionId: charge, destination: fake.addAccount().id });
    fake.requests.length = 0;
    fake.failNext(3, 503);
    await assert.rejects(rail.executeSettlement(o), (e: RailError) => {
      assert.ok(e instanceof RailError);
      assert.equal(e.retryable, true);
      assert.equal(e.details.status, 503);
      assert.match(e.details.requestId ?? '', /^req_/);
      return true;
    });
    assert.equal(fake.requests.length, 3); // the first try and maxNetworkRetries = 2
  });

  it('429 is retried by the adapter after Retry-After; too many is a retryable RailError', async () => {
    const escrowId = randomUUID();
    fake.rateLimitNext(1, 1);
    const input = { escrowId, amount: 700n, currency: 'USD', idempotencyKey: `create:${escrowId}` };
    await rail.createPaymentInstructions(input);
    assert.deepEqual(waits, [1000]);
    fake.rateLimitNext(3, 0);
    await assert.rejects(rail.createPaymentInstructions({ ...input, idempotencyKey: 'other' }), (e: RailError) => {
      assert.equal(e.retryable, true);
      assert.equal(e.details.code, 'rate_limit');
      return true;
    });
  });

  it('a refused payout is FAILED, not retryable, with Stripe code and request id; sent once', async () => {
    const { escrowId, charge } = await paidEscrow();
    fake.requests.length = 0;
    const out = await rail.executeSettlement(
      order({ kind: 'PAYOUT', escrowId, fundingTransactionId: charge, destination: 'acct_nobody' }),
    );
    assert.equal(out.status, 'FAILED');
    const failed = out as { reason: string; retryable: boolean };
    assert.equal(failed.retryable, false);
    assert.match(failed.reason, /400 invalid_request_error resource_missing: No such destination/);
    assert.match(failed.reason, /request id req_/);
    assert.equal(fake.requests.length, 1);
  });

  it('a partial refund, then a payout of the remainder, move exactly the charge', async () => {
    const { escrowId, reference, charge } = await paidEscrow(10_000n);
    const refund = order({
      kind: 'REFUND',
      escrowId,
      amount: 3_000n,
      paymentReference: reference,
      fundingTransactionId: charge,
    });
    const r = await rail.executeSettlement(refund);
    assert.equal(r.status, 'SUCCEEDED');
    assert.match((r as { providerReference: string }).providerReference, /^re_/);
    const sent = fake.requests.find((q) => q.path === '/v1/refunds')!;
    assert.deepEqual(sent.params, {
      charge,
      amount: '3000',
      metadata: { escrow_id: escrowId, settlement_id: refund.settlementId, settlement_key: refund.idempotencyKey },
    });
    assert.equal(sent.idempotencyKey, refund.settlementId);
    const acct = fake.addAccount().id;
    const payout = order({ kind: 'PAYOUT', escrowId, amount: 7_000n, fundingTransactionId: charge, destination: acct });
    assert.equal((await rail.executeSettlement(payout)).status, 'SUCCEEDED');
    assert.equal(fake.charges.get(charge)!.amount_refunded, 3_000);
    // Nothing is left of the charge: one unit more is refused by Stripe for good.
    const more = await rail.executeSettlement(order({ ...payout, settlementId: randomUUID(), amount: 1n }));
    assert.equal(more.status, 'FAILED');
    assert.equal((more as { retryable: boolean }).retryable, false);
  });

  it('a refund by payment intent when the funding id is a pi_; a pending refund is SUBMITTED, then looked up', async () => {
    const { escrowId, reference } = await paidEscrow();
    fake.nextRefundStatus = 'pending';
    const o = order({ kind: 'REFUND', escrowId, paymentReference: reference, fundingTransactionId: reference });
    const first = await rail.executeSettlement(o).finally(() => (fake.nextRefundStatus = 'succeeded'));
    assert.equal(first.status, 'SUBMITTED');
    assert.equal(fake.requests.find((q) => q.path === '/v1/refunds')!.params.payment_intent, reference);
    const re = fake.refunds.get((first as { providerReference: string }).providerReference)!;
    assert.deepEqual(await rail.lookupSettlement(o), { status: 'pending', detail: `${re.id} is not final yet` });
    re.status = 'succeeded';
    // Asked again (attempt 2): the refund's current status, not a replay of the first answer.
    assert.deepEqual(await rail.executeSettlement({ ...o, attempt: 2 }), {
      status: 'SUCCEEDED',
      providerReference: re.id,
    });
    assert.deepEqual(await rail.lookupSettlement(o), { status: 'succeeded', providerReference: re.id });
  });

  it('voids: cancels a pending intent; canceled, paid or unknown intents are done', async () => {
    const escrowId = randomUUID();
    const { reference } = await rail.createPaymentInstructions({
      escrowId,
      amount: 900n,
      currency: 'USD',
      idempotencyKey: `c:${escrowId}`,
    });
    await rail.voidPayment({ escrowId, reference });
    assert.equal(fake.paymentIntents.get(reference)!.status, 'canceled');
    await rail.voidPayment({ escrowId, reference });
    await rail.voidPayment({ escrowId, reference: 'pi_doesnotexist' });
    const paid = await paidEscrow();
    logs.length = 0;
    await rail.voidPayment({ escrowId: paid.escrowId, reference: paid.reference });
    assert.equal(fake.paymentIntents.get(paid.reference)!.status, 'succeeded');
    assert.equal(logs.length, 1);
    assert.deepEqual(
      fake.requests.filter((r) => r.path.endsWith('/cancel')).map((r) => r.path.split('/')[3]),
      [reference, reference, 'pi_doesnotexist', paid.reference],
    );
  });

  it('validates payout accounts: active, inactive, missing, malformed (not sent)', async () => {
    const ok = fake.addAccount();
    const inactive = fake.addAccount(undefined, { transfers: 'inactive', disabledReason: 'requirements.past_due' });
    assert.deepEqual(await rail.validatePayoutAccount({ sellerId: 's', accountId: ok.id }), {
      ok: true,
      accountId: ok.id,
      detail: 'transfers active, payouts_enabled true',
    });
    const no = await rail.validatePayoutAccount({ sellerId: 's', accountId: inactive.id });
    assert.equal(no.ok, false);
    assert.match((no as { reason: string }).reason, /transfers capability inactive.*requirements\.past_due/);
    const missing = await rail.validatePayoutAccount({ sellerId: 's', accountId: 'acct_missing1' });
    assert.equal(missing.ok, false);
    assert.match((missing as { reason: string }).reason, /^no such connected account: acct_missing1/);
    fake.requests.length = 0;
    const bad = await rail.validatePayoutAccount({ sellerId: 's', accountId: 'acct_../../charges' });
    assert.equal(bad.ok, false);
    assert.equal(fake.requests.length, 0);
  });

  it('looks payments up: pending, succeeded (charge id, stable event id), declined, canceled, unknown', async () => {
    const escrowId = randomUUID();
    const { reference } = await rail.createPaymentInstructions({
      escrowId,
      amount: 1_500n,
      currency: 'GBP',
      idempotencyKey: `l:${escrowId}`,
    });
    assert.equal((await rail.lookupPayment({ escrowId, reference })).status, 'pending');
    await fake.decline(reference);
    const declined = await rail.lookupPayment({ escrowId, reference });
    assert.equal(declined.status, 'failed');
    assert.match((declined as { reason: string }).reason, /^card_declined: /);
    const pi = await fake.pay(reference);
    assert.deepEqual(await rail.lookupPayment({ escrowId, reference }), {
      status: 'succeeded',
      transactionId: pi.latest_charge,
      amount: '1500',
      currency: 'GBP',
      eventId: `reconcile:${reference}:succeeded`,
    });
    const other = await rail.createPaymentInstructions({
      escrowId: randomUUID(),
      amount: 1n,
      currency: 'USD',
      idempotencyKey: randomUUID(),
    });
    await rail.voidPayment({ escrowId, reference: other.reference });
    const canceled = await rail.lookupPayment({ escrowId, reference: other.reference });
    assert.equal(canceled.status, 'failed');
    assert.equal((canceled as { eventId: string }).eventId, `reconcile:${other.reference}:canceled`);
    assert.equal((await rail.lookupPayment({ escrowId, reference: 'pi_nothing' })).status, 'none');
  });

  it('looks settlements up by settlement id: a payout found in the transfer group, none otherwise', async () => {
    const { escrowId, charge } = await paidEscrow();
    const o = order({
      kind: 'PAYOUT',
      escrowId,
      amount: 4_000n,
      fundingTransactionId: charge,
      destination: fake.addAccount().id,
    });
    assert.equal((await rail.lookupSettlement(o)).status, 'none');
    const done = (await rail.executeSettlement(o)) as { providerReference: string };
    await rail.executeSettlement({ ...o, settlementId: randomUUID(), idempotencyKey: randomUUID() });
    assert.deepEqual(await rail.lookupSettlement(o), {
      status: 'succeeded',
      providerReference: done.providerReference,
    });
    const query = fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/transfers').at(-1)!;
    assert.equal(query.params.transfer_group, escrowId);
    assert.equal(
      (await rail.lookupSettlement(order({ kind: 'REFUND', escrowId, fundingTransactionId: charge }))).status,
      'none',
    );
  });

  it("answers the platform's balance per currency as digit strings", async () => {
    const balances = await rail.platformBalance();
    const usd = balances!.find((b) => b.currency === 'USD')!;
    assert.match(usd.available, /^-?[0-9]+$/);
    assert.equal(usd.pending, '0');
    const before = BigInt(usd.available);
    await paidEscrow(2_500n);
    const after = (await rail.platformBalance())!.find((b) => b.currency === 'USD')!;
    assert.equal(BigInt(after.available) - before, 2_500n);
  });
});
