import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { RailError, type PaymentRail } from '../../../app/ports/index.js';
import { DOMAIN, SK, order, railFor, withFakePaystack } from './paystack.kit.js';

describe('PaystackRail against the fake Paystack API: payments and payouts', () => {
  const ps = withFakePaystack();

  describe('payment instructions', () => {
    it('initializes a transaction: amount in kobo, a deterministic reference, the email and callback, Bearer key', async () => {
      const escrowId = randomUUID();
      const out = await ps.rail.createPaymentInstructions({
        escrowId,
        amount: 1_234_567n,
        currency: 'ngn',
        idempotencyKey: 'create:1',
      });
      const reference = `esc-${escrowId.replace(/-/g, '')}`;
      assert.equal(out.reference, reference);
      assert.equal(out.payUrl, ps.fake.transactions.get(reference)!.authorization_url);
      const [call] = ps.fake.calls('POST', '/transaction/initialize');
      assert.equal(call!.authorization, `Bearer ${SK}`);
      assert.deepEqual(call!.body, {
        email: `buyer-${escrowId}@${DOMAIN}`,
        amount: 1234567,
        currency: 'NGN',
        reference,
        callback_url: 'https://shop.example.com/paid',
        metadata: { escrow_id: escrowId },
      });
    });

    it('a repeat gives the same instructions; another process is refused as a duplicate, verifies, creates nothing', async () => {
      const escrowId = randomUUID();
      const input = { escrowId, amount: 5000n, currency: 'NGN', idempotencyKey: 'create:2' };
      const first = await ps.rail.createPaymentInstructions(input);
      assert.deepEqual(await ps.rail.createPaymentInstructions(input), first);
      const other = railFor(ps.fake);
      const again = await other.createPaymentInstructions(input);
      assert.equal(again.reference, first.reference);
      assert.equal(again.payUrl, undefined, 'Paystack cannot give the checkout URL back');
      assert.equal(ps.fake.calls('POST', '/transaction/initialize').length, 2);
      assert.equal(ps.fake.calls('GET', `/transaction/verify/${first.reference}`).length, 1);
      assert.equal([...ps.fake.transactions.values()].filter((t) => t.reference === first.reference).length, 1);
      await assert.rejects(
        railFor(ps.fake).createPaymentInstructions({ ...input, amount: 6000n }),
        (e: RailError) => e.retryable === false && /already a transaction of 5000/.test(e.message),
      );
    });

    it('an initialize whose answer was lost is retried, refused as a duplicate, and verified: one transaction', async () => {
      const escrowId = randomUUID();
      ps.fake.dropAnswerNext(1, 'POST /transaction/initialize');
      const out = await railFor(ps.fake).createPaymentInstructions({
        escrowId,
        amount: 7000n,
        currency: 'NGN',
        idempotencyKey: 'k',
      });
      assert.equal(out.reference, `esc-${escrowId.replace(/-/g, '')}`);
      assert.equal(ps.fake.calls('POST', '/transaction/initialize').length, 2);
    });

    it('refuses an amount beyond Number.MAX_SAFE_INTEGER without calling Paystack', async () => {
      await assert.rejects(
        ps.rail.createPaymentInstructions({
          escrowId: randomUUID(),
          amount: BigInt(Number.MAX_SAFE_INTEGER) + 1n,
          currency: 'NGN',
          idempotencyKey: 'k',
        }),
        (e: RailError) => e instanceof RailError && !e.retryable,
      );
      assert.equal(ps.fake.requests.length, 0);
    });

    it('voiding is success, with no call (Paystack transactions expire)', async () => {
      await (ps.rail as PaymentRail).voidPayment({ escrowId: randomUUID(), reference: 'esc-unknown' });
      assert.equal(ps.fake.requests.length, 0);
    });
  });

  describe('payouts (transfers)', () => {
    it('POST /transfer from the balance, amount in kobo, reference = settlement id; pending → SUBMITTED, then SUCCEEDED', async () => {
      const o = order({ destination: ps.recipient, amount: 250_000n });
      const out = await ps.rail.executeSettlement(o);
      const t = ps.fake.transfers.get(o.settlementId)!;
      assert.deepEqual(out, { status: 'SUBMITTED', providerReference: t.transfer_code });
      assert.deepEqual(ps.fake.calls('POST', '/transfer')[0]!.body, {
        source: 'balance',
        amount: 250000,
        recipient: ps.recipient,
        reference: o.settlementId,
        reason: `escrow ${o.escrowId} payout`,
        currency: 'NGN',
      });
      await ps.fake.completeTransfer(o.settlementId, 'success');
      assert.deepEqual(await ps.rail.executeSettlement(o), { status: 'SUCCEEDED', providerReference: t.transfer_code });
      assert.deepEqual(await ps.rail.lookupSettlement(o), { status: 'succeeded', providerReference: t.transfer_code });
    });

    it('a repeat is refused as a duplicate and answered from verify: no second transfer', async () => {
      const o = order({ destination: ps.recipient });
      const first = await ps.rail.executeSettlement(o);
      const second = await ps.rail.executeSettlement({ ...o, attempt: 2 });
      assert.deepEqual(second, first);
      assert.equal(ps.fake.calls('POST', '/transfer').length, 2);
      assert.equal(ps.fake.calls('GET', `/transfer/verify/${o.settlementId}`).length, 1);
      assert.equal([...ps.fake.transfers.values()].filter((t) => t.reference === o.settlementId).length, 1);
    });

    it('500 then success: retried with the same reference, one transfer', async () => {
      const o = order({ destination: ps.recipient });
      ps.fake.failNext(1, 500);
      const out = await ps.rail.executeSettlement(o);
      assert.equal(out.status, 'SUBMITTED');
      const posts = ps.fake.calls('POST', '/transfer');
      assert.equal(posts.length, 2);
      assert.deepEqual(
        posts.map((p) => (p.body as { reference: string }).reference),
        [o.settlementId, o.settlementId],
      );
      assert.ok(ps.fake.transfers.has(o.settlementId));
    });

    it('a timeout is retried; one that landed before its answer was lost is found by reference: one transfer', async () => {
      const hung = order({ destination: ps.recipient });
      ps.fake.hangNext(1);
      assert.equal((await ps.rail.executeSettlement(hung)).status, 'SUBMITTED');
      assert.equal(ps.fake.calls('POST', '/transfer').length, 2);

      ps.fake.requests.length = 0;
      const dropped = order({ destination: ps.recipient });
      const before = ps.fake.transfers.size;
      ps.fake.dropAnswerNext(1);
      const out = await ps.rail.executeSettlement(dropped);
      assert.deepEqual(out, {
        status: 'SUBMITTED',
        providerReference: ps.fake.transfers.get(dropped.settlementId)!.transfer_code,
      });
      assert.equal(ps.fake.transfers.size, before + 1);
      assert.equal(ps.fake.calls('POST', '/transfer').length, 2);
    });

    it('429 with Retry-After is retried', async () => {
      ps.fake.rateLimitNext(1, 0);
      assert.equal((await ps.rail.executeSettlement(order({ destination: ps.recipient }))).status, 'SUBMITTED');
      assert.equal(ps.fake.calls('POST', '/transfer').length, 2);
    });

    it('5xx on every attempt: thrown retryable after the retries', async () => {
      ps.fake.failNext(3, 502);
      await assert.rejects(
        ps.rail.executeSettlement(order({ destination: ps.recipient })),
        (e: RailError) => e.retryable && e.details.status === 502,
      );
      assert.equal(ps.fake.calls('POST', '/transfer').length, 3);
    });

    it("a 4xx is not retried: FAILED for good with Paystack's message and code", async () => {
      const out = await ps.rail.executeSettlement(order({ destination: 'RCP_nobody' }));
      assert.equal(out.status, 'FAILED');
      assert.equal(out.status === 'FAILED' && out.retryable, false);
      assert.match(
        out.status === 'FAILED' ? out.reason : '',
        /400 invalid_transfer_recipient: Recipient specified is invalid/,
      );
      assert.equal(ps.fake.calls('POST', '/transfer').length, 1);
    });

    it('a refused key is FAILED retryable (the settlement is not at fault); no destination is FAILED unasked', async () => {
      const wrong = railFor(ps.fake, { secretKey: 'sk_test_wrong' });
      const out = await wrong.executeSettlement(order({ destination: ps.recipient }));
      assert.equal(out.status === 'FAILED' && out.retryable, true);
      assert.match(out.status === 'FAILED' ? out.reason : '', /401/);
      ps.fake.requests.length = 0;
      const none = await ps.rail.executeSettlement(order({ destination: null }));
      assert.equal(none.status === 'FAILED' && none.retryable, false);
      assert.equal(ps.fake.requests.length, 0);
    });

    it('a transfer Paystack failed is FAILED for good, and so is the lookup', async () => {
      const o = order({ destination: ps.recipient });
      await ps.rail.executeSettlement(o);
      await ps.fake.completeTransfer(o.settlementId, 'failed');
      const out = await ps.rail.executeSettlement(o);
      assert.equal(out.status === 'FAILED' && out.retryable, false);
      assert.equal((await ps.rail.lookupSettlement(o)).status, 'failed');
      const unknown = await ps.rail.lookupSettlement(order({ settlementId: 'never-sent' }));
      assert.deepEqual(unknown, { status: 'none', detail: 'paystack has no transfer never-sent' });
      const pending = order({ destination: ps.recipient });
      await ps.rail.executeSettlement(pending);
      assert.equal((await ps.rail.lookupSettlement(pending)).status, 'pending');
    });
  });
});
