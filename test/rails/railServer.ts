import assert from 'node:assert/strict';
import { escrowInput } from '../harness.js';
import { testServer, type HttpResult, type TestServer } from '../httpHarness.js';
import type { RailDriver } from './drivers.js';

/** An escrow as the API answers it (the fields the rail suites read). */
export interface EscrowView {
  id: string;
  status: string;
  amount: string;
  buyerFee: string;
  sellerFee: string;
  sellerId: string;
  payment: { reference: string; clientSecret?: string; payUrl?: string; depositAddress?: string };
  settlements: {
    id: string;
    kind: 'PAYOUT' | 'REFUND';
    amount: string;
    status: string;
    failureReason: string | null;
  }[];
  disputes: { id: string; status: string }[];
  flaggedForReview: boolean;
  fundedAmount: string;
  refundedAmount: string;
}

export function ok<T>(res: HttpResult<T>, status = 200): T {
  assert.equal(res.status, status, `${status} expected: ${res.text}`);
  return res.body;
}

export type RailServer = Awaited<ReturnType<typeof railServer>>;

/**
 * The API on PGlite with one real rail enabled and pointed at the driver's fake provider, whose webhooks come back to
 * POST /api/webhooks/{provider}; and the calls the rail suites make over HTTP.
 */
export async function railServer(driver: RailDriver, env: Record<string, string> = {}) {
  const providerEnv = await driver.start();
  const s: TestServer = await testServer('pglite', { ESCROW_RAILS: driver.rail, ...providerEnv, ...env });
  driver.connect(`${s.baseUrl}/api/webhooks/${driver.provider}`);
  const t = {
    buyer: await s.token('buyer-1', 'user'),
    service: await s.token('marketplace', 'service'),
    admin: await s.token('admin-1', 'admin'),
  };
  let seq = 0;
  const get = async (id: string) => ok(await s.call<EscrowView>('GET', `/api/escrow/${id}`, { token: t.admin }));
  const post = async (id: string, action: string, token: string, body: unknown = {}, status = 200) =>
    ok(await s.call<EscrowView>('POST', `/api/escrow/${id}/${action}`, { token, body }), status);
  const api = {
    s,
    t,
    get,
    post,
    newSeller: () => `seller-${driver.rail.toLowerCase()}-${process.pid}-${++seq}`,
    async registerAccount(seller: string, accountId?: string) {
      const id = accountId ?? (await driver.sellerAccount(seller));
      const res = await s.call<{ account: { accountId: string }; wokenSettlements: number }>(
        'PUT',
        `/api/sellers/${seller}/payout-accounts/${driver.rail}`,
        { token: t.service, body: { accountId: id, reason: 'seller onboarded' } },
      );
      return { accountId: id, registered: ok(res) };
    },
    async create(seller: string): Promise<EscrowView> {
      const body = escrowInput({
        rail: driver.rail,
        currency: driver.currency,
        amount: driver.amount,
        sellerId: seller,
      });
      const e = ok(await s.call<EscrowView>('POST', '/api/escrow', { token: t.service, body }), 201);
      assert.equal(e.status, 'AWAIT_FUNDS');
      return e;
    },
    async pay(e: EscrowView) {
      await driver.pay(e.payment, (BigInt(e.amount) + BigInt(e.buyerFee)).toString());
      return get(e.id);
    },
    async funded(seller: string): Promise<EscrowView> {
      const after = await api.pay(await api.create(seller));
      assert.equal(after.status, 'FUNDS_HELD', 'the signed provider webhook funded the escrow');
      return after;
    },
    async released(seller: string): Promise<EscrowView> {
      const e = await api.funded(seller);
      await post(e.id, 'mark-delivered', await s.token(seller, 'user'), { title: 'Delivered' });
      const released = await post(e.id, 'confirm-delivery', t.buyer);
      assert.equal(released.status, 'RELEASED');
      return released;
    },
    /** Runs the settlements role until nothing is due, letting the provider finish what it finishes later. */
    async settle(rounds = 4): Promise<void> {
      for (let i = 0; i < rounds; i++) {
        await s.engine.settlementWorker.runOnce();
        await driver.finishSettlements();
        s.clock.advance(61_000);
      }
    },
    payoutsTo: (destination: string) =>
      driver
        .payouts()
        .filter((p) => p.destination === destination)
        .map((p) => p.amount),
    async close() {
      await s.close();
      await driver.stop();
    },
  };
  return api;
}
