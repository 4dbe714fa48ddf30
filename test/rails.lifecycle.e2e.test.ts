import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';
import { PaystackDriver, StripeDriver, UsdcDriver, type RailDriver } from './rails/drivers.js';

/**
 * The HTTP lifecycle once per real rail (issue 11): the engine talks to a local fake of the provider over real HTTP,
 * and the provider's signed webhooks come back through POST /api/webhooks/{provider}. Create → pay → deliver →
 * confirm → payout at the provider; a partial refund; a dispute split; a cancel that voids the payment; a payout
 * waiting for the seller's payout account. Every flow ends with `escrow verify`.
 */

interface Settlement {
  id: string;
  kind: 'PAYOUT' | 'REFUND';
  amount: string;
  status: string;
  failureReason: string | null;
}
interface Escrow {
  id: string;
  status: string;
  amount: string;
  buyerFee: string;
  sellerFee: string;
  sellerId: string;
  payment: { reference: string; clientSecret?: string; payUrl?: string; depositAddress?: string };
  settlements: Settlement[];
  disputes: { id: string }[];
  flaggedForReview: boolean;
}

const DRIVERS: (() => RailDriver)[] = [() => new StripeDriver(), () => new PaystackDriver(), () => new UsdcDriver()];

function ok<T>(res: HttpResult<T>, status = 200): T {
  assert.equal(res.status, status, `${status} expected: ${res.text}`);
  return res.body;
}

for (const make of DRIVERS) {
  const driver = make();
  void describe(`HTTP lifecycle on the ${driver.rail} rail (fake provider over HTTP)`, () => {
    let s: TestServer;
    let t: { buyer: string; seller: string; service: string; admin: string };
    let seq = 0;

    before(async () => {
      const env = await driver.start();
      s = await testServer('pglite', { ESCROW_RAILS: driver.rail, ...env });
      driver.connect(`${s.baseUrl}/api/webhooks/${driver.provider}`);
      t = {
        buyer: await s.token('buyer-1', 'user'),
        seller: await s.token('seller-1', 'user'),
        service: await s.token('marketplace', 'service'),
        admin: await s.token('admin-1', 'admin'),
      };
    });
    after(async () => {
      await s?.close();
      await driver.stop();
    });

    const sellerOf = () => `seller-${driver.rail.toLowerCase()}-${++seq}`;
    const get = async (id: string) => ok(await s.call<Escrow>('GET', `/api/escrow/${id}`, { token: t.admin }));
    const post = async (id: string, action: string, token: string, body: unknown = {}, status = 200) =>
      ok(await s.call<Escrow>('POST', `/api/escrow/${id}/${action}`, { token, body }), status);
    async function registerAccount(seller: string) {
      const accountId = await driver.sellerAccount(seller);
      const res = await s.call<{ account: { accountId: string }; wokenSettlements: number }>(
        'PUT',
        `/api/sellers/${seller}/payout-accounts/${driver.rail}`,
        { token: t.service, body: { accountId, reason: 'seller onboarded' } },
      );
      return { accountId, registered: ok(res) };
    }
    async function create(seller: string): Promise<Escrow> {
      const body = escrowInput({
        rail: driver.rail,
        currency: driver.currency,
        amount: driver.amount,
        sellerId: seller,
      });
      const e = ok(await s.call<Escrow>('POST', '/api/escrow', { token: t.service, body }), 201);
      assert.equal(e.status, 'AWAIT_FUNDS');
      return e;
    }
    async function funded(seller: string): Promise<Escrow> {
      const e = await create(seller);
      await driver.pay(e.payment, (BigInt(e.amount) + BigInt(e.buyerFee)).toString());
      const after = await get(e.id);
      assert.equal(after.status, 'FUNDS_HELD', 'the signed provider webhook funded the escrow');
      return after;
    }
    /** Runs the settlements role until nothing is due, letting the provider finish what it finishes later. */
    async function settle(): Promise<void> {
      for (let i = 0; i < 4; i++) {
        await s.engine.settlementWorker.runOnce();
        await driver.finishSettlements();
        s.clock.advance(61_000);
      }
    }
    const payoutsTo = (destination: string) =>
      driver
        .payouts()
        .filter((p) => p.destination === destination)
        .map((p) => p.amount);

    void it('create → pay → deliver → confirm → the payout is made at the provider, to the seller account', async () => {
      const seller = sellerOf();
      const { accountId } = await registerAccount(seller);
      const e = await funded(seller);
      if (driver.rail === 'STRIPE') assert.match(e.payment.clientSecret ?? '', /^pi_.+_secret_/);
      await post(e.id, 'mark-delivered', await s.token(seller, 'user'), { title: 'Delivered' });
      const released = await post(e.id, 'confirm-delivery', t.buyer);
      assert.equal(released.status, 'RELEASED');
      await settle();
      const done = await get(e.id);
      assert.deepEqual(
        done.settlements.map((x) => [x.kind, x.status]),
        [['PAYOUT', 'SUCCEEDED']],
      );
      assert.deepEqual(payoutsTo(accountId), [BigInt(e.amount) - BigInt(e.sellerFee)]);
      assert.deepEqual(driver.refusedDeliveries(), []);
      await assertDatabaseVerifies(s.engine);
    });

    void it('a partial refund pays the buyer their part and the seller only the remainder', async () => {
      const seller = sellerOf();
      const { accountId } = await registerAccount(seller);
      const e = await funded(seller);
      const refundsBefore = driver.refunds().length;
      const half = (BigInt(e.amount) / 2n).toString();
      const refunded = await post(e.id, 'refund', t.admin, { refundAmount: half, reason: 'half was missing' });
      assert.equal(refunded.status, 'REFUNDED');
      await settle();
      const done = await get(e.id);
      assert.ok(
        done.settlements.every((x) => x.status === 'SUCCEEDED'),
        JSON.stringify(done.settlements),
      );
      const refund = done.settlements.find((x) => x.kind === 'REFUND')!;
      const payout = done.settlements.find((x) => x.kind === 'PAYOUT')!;
      assert.deepEqual(payoutsTo(accountId), [BigInt(payout.amount)]);
      assert.deepEqual(
        driver
          .refunds()
          .slice(refundsBefore)
          .map((r) => r.amount),
        [BigInt(refund.amount)],
      );
      assert.equal(BigInt(payout.amount) + BigInt(refund.amount) <= BigInt(e.amount) + BigInt(e.buyerFee), true);
      await assertDatabaseVerifies(s.engine);
    });

    void it('a dispute resolved SPLIT pays both sides at the provider', async () => {
      const seller = sellerOf();
      const { accountId } = await registerAccount(seller);
      const e = await funded(seller);
      await post(e.id, 'dispute', t.buyer, { reason: 'Item not as described' }, 201);
      const disputeId = (await get(e.id)).disputes[0]!.id;
      const buyerAmount = (BigInt(e.amount) / 4n).toString();
      const resolved = await post(e.id, `dispute/${disputeId}/resolve`, t.admin, {
        resolution: 'SPLIT',
        buyerAmount,
        reason: 'a quarter back',
      });
      assert.ok(['RELEASED', 'REFUNDED'].includes(resolved.status), resolved.status);
      await settle();
      const done = await get(e.id);
      assert.ok(done.settlements.length === 2 && done.settlements.every((x) => x.status === 'SUCCEEDED'));
      assert.equal(payoutsTo(accountId).length, 1);
      await assertDatabaseVerifies(s.engine);
    });

    void it('a cancel voids the payment at the provider', async () => {
      const e = await create(sellerOf());
      const cancelled = await post(e.id, 'cancel', t.buyer, { reason: 'changed my mind' });
      assert.equal(cancelled.status, 'CANCELLED');
      // the rail-voider reaction runs on the committed EscrowCancelled, as the outbox role hands it over
      while ((await s.engine.outbox.runOnce()) > 0);
      assert.equal(driver.isVoided(e.payment.reference), true, 'the provider no longer takes this payment');
      await assertDatabaseVerifies(s.engine);
    });

    void it('a payout for a seller without a payout account waits, visibly, and is paid once one is registered', async () => {
      const seller = sellerOf();
      const e = await funded(seller);
      await post(e.id, 'mark-delivered', await s.token(seller, 'user'), { title: 'Delivered' });
      await post(e.id, 'confirm-delivery', t.buyer);
      await settle();
      const waiting = ok(
        await s.call<{ items: { escrowId: string; waitingFor: string; note: string }[] }>(
          'GET',
          '/api/admin/settlements/waiting?waitingFor=PAYOUT_ACCOUNT',
          { token: t.admin },
        ),
      );
      const mine = waiting.items.filter((w) => w.escrowId === e.id);
      assert.equal(mine.length, 1, 'listed for operators');
      assert.match(mine[0]!.note, new RegExp(`PUT /api/sellers/${seller}/payout-accounts/${driver.rail}`));
      assert.equal((await get(e.id)).settlements[0]?.status, 'PENDING', 'never failed, never lost');
      const { accountId, registered } = await registerAccount(seller);
      assert.equal(registered.wokenSettlements, 1);
      await settle();
      assert.equal((await get(e.id)).settlements[0]?.status, 'SUCCEEDED');
      assert.equal(payoutsTo(accountId).length, 1);
      await assertDatabaseVerifies(s.engine);
    });
  });
}
