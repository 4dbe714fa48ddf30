import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { WebhookPayloadError, WebhookSignatureError, type WebhookAction } from '../../../app/ports/index.js';
import { SK, order, withFakePaystack } from './paystack.kit.js';

describe('PaystackRail against the fake Paystack API: webhooks', () => {
  const ps = withFakePaystack();

  describe('webhooks', () => {
    const verify = async (raw: string, headers: Record<string, string | undefined>): Promise<WebhookAction> =>
      (await ps.rail.verifyWebhook(raw, headers)).action;
    const signed = (body: unknown, key = SK) => {
      const raw = JSON.stringify(body);
      return { raw, headers: { 'x-paystack-signature': createHmac('sha512', key).update(raw).digest('hex') } };
    };

    it('charge.success from the ps.fake → payment.succeeded; the id is the one lookupPayment derives', async () => {
      const paid = await ps.paidEscrow(1_500_000n);
      const [w] = ps.sink.got;
      const action = await verify(w!.raw, w!.headers);
      assert.deepEqual(action, {
        kind: 'payment.succeeded',
        eventId: `charge.success:${paid.transactionId}`,
        reference: paid.reference,
        transactionId: paid.transactionId,
        amount: '1500000',
        currency: 'NGN',
      });
      const looked = await ps.rail.lookupPayment({ escrowId: paid.escrowId, reference: paid.reference });
      assert.equal(looked.status === 'succeeded' && looked.eventId, action.eventId);
      // The same event redelivered is the same id.
      assert.equal((await verify(w!.raw, w!.headers)).eventId, action.eventId);
    });

    it('refused: a missing, tampered, malformed or other-key signature', async () => {
      const { raw, headers } = signed({
        event: 'charge.success',
        data: { id: 1, reference: 'r', amount: 1, currency: 'NGN' },
      });
      await assert.rejects(verify(raw, {}), (e) => e instanceof WebhookSignatureError && /missing/.test(e.message));
      await assert.rejects(verify(raw.replace('"amount":1', '"amount":9'), headers), WebhookSignatureError);
      await assert.rejects(verify(raw, { 'x-paystack-signature': 'abc' }), WebhookSignatureError);
      await assert.rejects(verify(raw, signed(JSON.parse(raw), 'sk_test_other').headers), WebhookSignatureError);
      assert.equal((await verify(raw, headers)).kind, 'payment.succeeded');
    });

    it('transfer events: success, failed, reversed (after a transfer: settlement.reversed), distinct stable ids', async () => {
      const o = order({ destination: ps.recipient });
      await ps.rail.executeSettlement(o);
      const t = ps.fake.transfers.get(o.settlementId)!;
      await ps.fake.completeTransfer(o.settlementId, 'success');
      const ok = await verify(ps.sink.got[0]!.raw, ps.sink.got[0]!.headers);
      assert.deepEqual(ok, {
        kind: 'settlement.succeeded',
        eventId: `transfer.success:${t.id}`,
        settlementId: o.settlementId,
        providerReference: t.transfer_code,
      });
      await ps.fake.completeTransfer(o.settlementId, 'reversed');
      const reversed = await verify(ps.sink.got[1]!.raw, ps.sink.got[1]!.headers);
      assert.equal(reversed.kind, 'settlement.reversed');
      assert.equal(reversed.eventId, `transfer.reversed:${t.id}`);

      const f = order({ destination: ps.recipient });
      await ps.rail.executeSettlement(f);
      await ps.fake.completeTransfer(f.settlementId, 'failed');
      const failed = await verify(ps.sink.got[2]!.raw, ps.sink.got[2]!.headers);
      assert.equal(failed.kind, 'settlement.failed');
      assert.equal(failed.kind === 'settlement.failed' && failed.settlementId, f.settlementId);
      assert.notEqual(failed.eventId, ok.eventId);
    });

    it("refund.processed (transaction reference and amount only) → settlement.succeeded of our refund's settlement", async () => {
      const paid = await ps.paidEscrow(900_000n);
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 300_000n,
        fundingTransactionId: paid.transactionId,
      });
      await ps.rail.executeSettlement(o);
      const r = ps.fake.refunds.find((x) => x.merchant_note?.includes(o.settlementId))!;
      ps.sink.got.length = 0;
      await ps.fake.completeRefund(r.id, 'processed');
      const action = await verify(ps.sink.got[0]!.raw, ps.sink.got[0]!.headers);
      assert.deepEqual(action, {
        kind: 'settlement.succeeded',
        eventId: `refund.processed:${r.id}`,
        settlementId: o.settlementId,
        providerReference: String(r.id),
      });
    });

    it('refund.failed → settlement.failed; a refund not of ours → not_supported', async () => {
      const paid = await ps.paidEscrow(900_000n);
      const o = order({
        kind: 'REFUND',
        escrowId: paid.escrowId,
        amount: 100_000n,
        fundingTransactionId: paid.transactionId,
      });
      await ps.rail.executeSettlement(o);
      const r = ps.fake.refunds.find((x) => x.merchant_note?.includes(o.settlementId))!;
      ps.sink.got.length = 0;
      await ps.fake.completeRefund(r.id, 'failed');
      const action = await verify(ps.sink.got[0]!.raw, ps.sink.got[0]!.headers);
      assert.equal(action.kind, 'settlement.failed');
      assert.equal(action.kind === 'settlement.failed' && action.settlementId, o.settlementId);
      const foreign = signed({
        event: 'refund.processed',
        data: { status: 'processed', transaction_reference: paid.reference, amount: '777', currency: 'NGN' },
      });
      assert.equal((await verify(foreign.raw, foreign.headers)).kind, 'not_supported');
    });

    it('signed but unparsable → WebhookPayloadError; an event we do not handle → not_supported with a stable id', async () => {
      const bad = {
        raw: 'not json',
        headers: { 'x-paystack-signature': createHmac('sha512', SK).update('not json').digest('hex') },
      };
      await assert.rejects(verify(bad.raw, bad.headers), WebhookPayloadError);
      const noRef = signed({ event: 'charge.success', data: { id: 5, amount: 100, currency: 'NGN' } });
      await assert.rejects(verify(noRef.raw, noRef.headers), WebhookPayloadError);
      const other = signed({ event: 'subscription.create', data: { id: 42 } });
      assert.deepEqual(await verify(other.raw, other.headers), {
        kind: 'not_supported',
        eventId: 'subscription.create:42',
        type: 'subscription.create',
      });
    });

    it('charge.dispute.create → payment.disputed of the transaction reference', async () => {
      const d = signed({
        event: 'charge.dispute.create',
        data: {
          id: 358950,
          refund_amount: 5800,
          currency: 'NGN',
          status: 'awaiting-merchant-feedback',
          category: 'chargeback',
          transaction: { id: 9, reference: 'esc-abc', amount: 5800 },
        },
      });
      assert.deepEqual(await verify(d.raw, d.headers), {
        kind: 'payment.disputed',
        eventId: 'charge.dispute.create:358950',
        reference: 'esc-abc',
        reason: 'paystack: chargeback (awaiting-merchant-feedback)',
        amount: '5800',
        currency: 'NGN',
      });
    });
  });
});
