import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDatabaseVerifies } from './harness.js';
import { PaystackDriver, StripeDriver, UsdcDriver, type RailDriver } from './rails/drivers.js';
import { ok, railServer, type RailServer } from './rails/railServer.js';

/**
 * The HTTP lifecycle once per real rail (issue 11): the engine talks to a local fake of the provider over real HTTP,
 * and the provider's signed webhooks come back through POST /api/webhooks/{provider}. Create → pay → deliver →
 * confirm → payout at the provider; a partial refund; a dispute split; a cancel that voids the payment; a payout
 * waiting for the seller's payout account. Every flow ends with `escrow verify`.
 */

const DRIVERS: (() => RailDriver)[] = [() => new StripeDriver(), () => new PaystackDriver(), () => new UsdcDriver()];

for (const make of DRIVERS) {
  const driver = make();
  void describe(`HTTP lifecycle on the ${driver.rail} rail (fake provider over HTTP)`, () => {
    let r: RailServer;
    before(async () => {
      r = await railServer(driver);
    });
    after(() => r?.close());

    void it('create → pay → deliver → confirm → the payout is made at the provider, to the seller account', async () => {
      const seller = r.newSeller();
      const { accountId } = await r.registerAccount(seller);
      const e = await r.funded(seller);
      if (driver.rail === 'STRIPE') assert.match(e.payment.clientSecret ?? '', /^pi_.+_secret_/);
      await r.post(e.id, 'mark-delivered', await r.s.token(seller, 'user'), { title: 'Delivered' });
      const released = await r.post(e.id, 'confirm-delivery', r.t.buyer);
      assert.equal(released.status, 'RELEASED');
      await r.settle();
      const done = await r.get(e.id);
      assert.deepEqual(
        done.settlements.map((x) => [x.kind, x.status]),
        [['PAYOUT', 'SUCCEEDED']],
      );
      assert.deepEqual(r.payoutsTo(accountId), [BigInt(e.amount) - BigInt(e.sellerFee)]);
      assert.deepEqual(driver.refusedDeliveries(), []);
      await assertDatabaseVerifies(r.s.engine);
    });

    void it('a partial refund pays the buyer their part and the seller only the remainder', async () => {
      const seller = r.newSeller();
      const { accountId } = await r.registerAccount(seller);
      const e = await r.funded(seller);
      const refundsBefore = driver.refunds().length;
      const half = (BigInt(e.amount) / 2n).toString();
      const refunded = await r.post(e.id, 'refund', r.t.admin, { refundAmount: half, reason: 'half was missing' });
      assert.equal(refunded.status, 'REFUNDED');
      await r.settle();
      const done = await r.get(e.id);
      assert.ok(
        done.settlements.every((x) => x.status === 'SUCCEEDED'),
        JSON.stringify(done.settlements),
      );
      const refund = done.settlements.find((x) => x.kind === 'REFUND')!;
      const payout = done.settlements.find((x) => x.kind === 'PAYOUT')!;
      assert.deepEqual(r.payoutsTo(accountId), [BigInt(payout.amount)]);
      assert.deepEqual(
        driver
          .refunds()
          .slice(refundsBefore)
          .map((r) => r.amount),
        [BigInt(refund.amount)],
      );
      assert.equal(BigInt(payout.amount) + BigInt(refund.amount) <= BigInt(e.amount) + BigInt(e.buyerFee), true);
      await assertDatabaseVerifies(r.s.engine);
    });

    void it('a dispute resolved SPLIT pays both sides at the provider', async () => {
      const seller = r.newSeller();
      const { accountId } = await r.registerAccount(seller);
      const e = await r.funded(seller);
      await r.post(e.id, 'dispute', r.t.buyer, { reason: 'Item not as described' }, 201);
      const disputeId = (await r.get(e.id)).disputes[0]!.id;
      const buyerAmount = (BigInt(e.amount) / 4n).toString();
      const resolved = await r.post(e.id, `dispute/${disputeId}/resolve`, r.t.admin, {
        resolution: 'SPLIT',
        buyerAmount,
        reason: 'a quarter back',
      });
      assert.ok(['RELEASED', 'REFUNDED'].includes(resolved.status), resolved.status);
      await r.settle();
      const done = await r.get(e.id);
      assert.ok(done.settlements.length === 2 && done.settlements.every((x) => x.status === 'SUCCEEDED'));
      assert.equal(r.payoutsTo(accountId).length, 1);
      await assertDatabaseVerifies(r.s.engine);
    });

    void it('a cancel voids the payment at the provider', async () => {
      const e = await r.create(r.newSeller());
      const cancelled = await r.post(e.id, 'cancel', r.t.buyer, { reason: 'changed my mind' });
      assert.equal(cancelled.status, 'CANCELLED');
      // the rail-voider reaction runs on the committed EscrowCancelled, as the outbox role hands it over
      while ((await r.s.engine.outbox.runOnce()) > 0);
      assert.equal(driver.isVoided(e.payment.reference), true, 'the provider no longer takes this payment');
      await assertDatabaseVerifies(r.s.engine);
    });

    void it('a payout for a seller without a payout account waits, visibly, and is paid once one is registered', async () => {
      const seller = r.newSeller();
      const e = await r.funded(seller);
      await r.post(e.id, 'mark-delivered', await r.s.token(seller, 'user'), { title: 'Delivered' });
      await r.post(e.id, 'confirm-delivery', r.t.buyer);
      await r.settle();
      const waiting = ok(
        await r.s.call<{ items: { escrowId: string; waitingFor: string; note: string }[] }>(
          'GET',
          '/api/admin/settlements/waiting?waitingFor=PAYOUT_ACCOUNT',
          { token: r.t.admin },
        ),
      );
      const mine = waiting.items.filter((w) => w.escrowId === e.id);
      assert.equal(mine.length, 1, 'listed for operators');
      assert.match(mine[0]!.note, new RegExp(`PUT /api/sellers/${seller}/payout-accounts/${driver.rail}`));
      assert.equal((await r.get(e.id)).settlements[0]?.status, 'PENDING', 'never failed, never lost');
      const { accountId, registered } = await r.registerAccount(seller);
      assert.equal(registered.wokenSettlements, 1);
      await r.settle();
      assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
      assert.equal(r.payoutsTo(accountId).length, 1);
      await assertDatabaseVerifies(r.s.engine);
    });
  });
}
