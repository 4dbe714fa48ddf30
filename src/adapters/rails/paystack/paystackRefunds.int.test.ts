import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { RailError } from '../../../app/ports/index.js';
import { order, withFakePaystack } from './paystack.kit.js';

describe('PaystackRail against the fake Paystack API: refunds, payout accounts, lookups, balance', () => {
  const ps = withFakePaystack();

  describe('refunds', () => {
    it('lists the transaction refunds, then POST /refund (partial, kobo, merchant_note naming the settlement)', async () => {
      const paid = await ps.paidEscrow(1_000_000n);
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 400_000n,
        fundingTransactionId: paid.transactionId,
      });
      ps.fake.requests.length = 0;
      const out = await ps.rail.executeSettlement(o);
      const r = ps.fake.refunds.find((x) => x.merchant_note?.includes(o.settlementId))!;
      assert.deepEqual(out, { status: 'SUBMITTED', providerReference: String(r.id) });
      assert.deepEqual(
        ps.fake.requests.map((q) => `${q.method} ${q.path}`),
        ['GET /refund', 'POST /refund'],
      );
      assert.deepEqual(ps.fake.requests[0]!.query, { transaction: paid.transactionId, perPage: '100' });
      assert.deepEqual(ps.fake.requests[1]!.body, {
        transaction: paid.transactionId,
        amount: 400000,
        currency: 'NGN',
        merchant_note: `escrow ${paid.escrowId} settlement ${o.settlementId}`,
        customer_note: `Refund for escrow ${paid.escrowId}`,
      });
      // A repeat finds it: no second refund.
      assert.deepEqual(await ps.rail.executeSettlement({ ...o, attempt: 2 }), out);
      assert.equal(ps.fake.calls('POST', '/refund').length, 1);
      assert.equal((await ps.rail.lookupSettlement(o)).status, 'pending');
      await ps.fake.completeRefund(r.id, 'processed');
      assert.deepEqual(await ps.rail.executeSettlement(o), { status: 'SUCCEEDED', providerReference: String(r.id) });
      assert.deepEqual(await ps.rail.lookupSettlement(o), { status: 'succeeded', providerReference: String(r.id) });
    });

    it('a refund POST whose answer was lost is found on the next look, not made twice', async () => {
      const paid = await ps.paidEscrow();
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 1000n,
        fundingTransactionId: paid.transactionId,
      });
      ps.fake.dropAnswerNext(1, 'POST /refund');
      const out = await ps.rail.executeSettlement(o);
      assert.equal(out.status, 'SUBMITTED');
      assert.equal(ps.fake.calls('POST', '/refund').length, 1, 'a refund POST is never repeated blindly');
      assert.equal(ps.fake.refunds.filter((r) => r.merchant_note?.includes(o.settlementId)).length, 1);
    });

    it('a refund POST answered 500 is not repeated: thrown retryable, and the next call creates it once', async () => {
      const paid = await ps.paidEscrow();
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 1000n,
        fundingTransactionId: paid.transactionId,
      });
      ps.fake.failNext(1, 500, 'POST /refund');
      await assert.rejects(ps.rail.executeSettlement(o), (e: RailError) => e.retryable);
      assert.equal(ps.fake.calls('POST', '/refund').length, 1);
      assert.equal((await ps.rail.executeSettlement(o)).status, 'SUBMITTED');
      assert.equal(ps.fake.refunds.filter((r) => r.merchant_note?.includes(o.settlementId)).length, 1);
    });

    it("more than is left: FAILED for good with Paystack's message; no funding transaction: FAILED unasked", async () => {
      const paid = await ps.paidEscrow(1000n);
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 5000n,
        fundingTransactionId: paid.transactionId,
      });
      const out = await ps.rail.executeSettlement(o);
      assert.equal(out.status === 'FAILED' && out.retryable, false);
      assert.match(out.status === 'FAILED' ? out.reason : '', /invalid_refund_amount: Refund amount cannot be greater/);
      ps.fake.requests.length = 0;
      const none = await ps.rail.executeSettlement(order({ kind: 'REFUND', fundingTransactionId: null }));
      assert.equal(none.status === 'FAILED' && none.retryable, false);
      assert.equal(ps.fake.requests.length, 0);
    });
  });

  describe('payout accounts, lookups, balance', () => {
    it('validatePayoutAccount: active (bank and last 4), unknown, inactive, malformed (unasked), unanswerable', async () => {
      assert.deepEqual(await ps.rail.validatePayoutAccount({ sellerId: 's', accountId: ps.recipient }), {
        ok: true,
        accountId: ps.recipient,
        detail: 'Access Bank, account ending 6789',
      });
      assert.deepEqual(await ps.rail.validatePayoutAccount({ sellerId: 's', accountId: 'RCP_missing' }), {
        ok: false,
        reason: 'no such transfer recipient',
      });
      const off = ps.fake.addRecipient({ recipient_code: 'RCP_off', active: false }).recipient_code;
      assert.equal((await ps.rail.validatePayoutAccount({ sellerId: 's', accountId: off })).ok, false);
      ps.fake.requests.length = 0;
      assert.equal((await ps.rail.validatePayoutAccount({ sellerId: 's', accountId: 'acct_123' })).ok, false);
      assert.equal(ps.fake.requests.length, 0);
      ps.fake.failNext(3, 503);
      await assert.rejects(ps.rail.validatePayoutAccount({ sellerId: 's', accountId: ps.recipient }), RailError);
    });

    it('lookupPayment: none, pending (abandoned checkout), failed, succeeded', async () => {
      assert.equal((await ps.rail.lookupPayment({ escrowId: 'e', reference: 'esc-none' })).status, 'none');
      const escrowId = randomUUID();
      const { reference } = await ps.rail.createPaymentInstructions({
        escrowId,
        amount: 100n,
        currency: 'NGN',
        idempotencyKey: 'k',
      });
      assert.equal((await ps.rail.lookupPayment({ escrowId, reference })).status, 'pending');
      ps.fake.decline(reference);
      const failed = await ps.rail.lookupPayment({ escrowId, reference });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.status === 'failed' && failed.transactionId, String(ps.fake.transactions.get(reference)!.id));
      const paid = await ps.paidEscrow(4200n);
      assert.deepEqual(await ps.rail.lookupPayment({ escrowId: paid.escrowId, reference: paid.reference }), {
        status: 'succeeded',
        transactionId: paid.transactionId,
        amount: '4200',
        currency: 'NGN',
        eventId: `charge.success:${paid.transactionId}`,
      });
    });

    it('platformBalance: GET /balance as digit strings', async () => {
      ps.fake.setBalance('GHS', 1234);
      const out = await ps.rail.platformBalance();
      assert.deepEqual(
        out!.find((b) => b.currency === 'GHS'),
        { currency: 'GHS', available: '1234', pending: '0' },
      );
      assert.equal(out!.find((b) => b.currency === 'NGN')!.available, String(ps.fake.balances.get('NGN')));
      assert.deepEqual(ps.fake.calls('GET', '/balance').length, 1);
    });
  });
});
