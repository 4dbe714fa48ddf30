import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engineKinds, assertDatabaseVerifies } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// Money in suspense and the review queue over HTTP (issue 10 §5): the manual confirm with the amount received,
// GET /api/admin/suspense, refund and apply out of suspense, GET /api/escrow?flagged=true and clear-flag.

interface EscrowBody {
  id: string;
  status: string;
  flaggedForReview: boolean;
  fundedAmount: string;
  suspense: { id: string; amount: string; status: string }[];
  settlements: { kind: string; amount: string; currency: string }[];
}
interface SuspenseBody {
  data: { id: string; escrowId: string; amount: string; currency: string; transactionId: string; status: string }[];
  openTotals: { currency: string; amount: string; items: number }[];
}

for (const kind of engineKinds()) {
  describe(`suspense and the review queue over HTTP on ${kind}`, () => {
    let s: TestServer;
    let admin: string;
    let buyer: string;
    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
      buyer = await s.token('buyer-1', 'user');
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    let offers = 0;
    const create = async (amount: string) => {
      const r = await s.call<EscrowBody>('POST', '/api/escrow', {
        token: buyer,
        body: {
          offerId: `offer-susp-${kind}-${++offers}`,
          buyerId: 'buyer-1',
          sellerId: 'seller-1',
          rail: 'SANDBOX',
          currency: 'USD',
          amount,
        },
      });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    };
    const confirm = (id: string, body: Record<string, unknown>) =>
      s.call<EscrowBody>('POST', `/api/escrow/${id}/confirm-payment`, { token: admin, body });

    it('confirm-payment requires the amount and currency received; a short amount is booked to suspense', async () => {
      const id = await create('5000');
      const missing = await confirm(id, { transactionId: 'wire-9', evidence: 'statement' });
      assert.equal(missing.status, 400, missing.text);
      assert.match(missing.text, /amount/);
      const short = await confirm(id, {
        transactionId: 'wire-9',
        evidence: 'statement',
        amount: '4500',
        currency: 'USD',
      });
      assert.equal(short.status, 200, short.text);
      assert.equal(short.body.status, 'AWAIT_FUNDS');
      assert.equal(short.body.flaggedForReview, true);
      assert.deepEqual(
        short.body.suspense.map((x) => [x.amount, x.status]),
        [['4500', 'OPEN']],
      );
    });

    it('GET /api/admin/suspense lists the money for admins only; refund it with a reason, once', async () => {
      const id = await create('3000');
      await s.engine.simulator.pay(id, { amount: '3100' });
      assert.equal((await s.call('GET', '/api/admin/suspense', { token: buyer })).status, 403);
      const list = await s.call<SuspenseBody>('GET', `/api/admin/suspense?escrowId=${id}&status=OPEN`, {
        token: admin,
      });
      assert.equal(list.status, 200, list.text);
      const [item] = list.body.data;
      assert.ok(item);
      assert.deepEqual([item.escrowId, item.amount, item.currency, item.status], [id, '3100', 'USD', 'OPEN']);
      assert.match(item.transactionId, /^sbx_txn_/);
      assert.ok(list.body.openTotals.some((t) => t.currency === 'USD' && BigInt(t.amount) >= 3100n));

      const refund = (suspenseId: string, body: unknown, token = admin) =>
        s.call<EscrowBody & { code?: string }>('POST', `/api/admin/suspense/${suspenseId}/refund`, { token, body });
      assert.equal((await refund(item.id, {})).status, 400);
      assert.equal((await refund(item.id, { reason: 'mine' }, buyer)).status, 403);
      const unknown = await refund('0190f0c8-0000-7000-8000-00000000dead', { reason: 'x' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'SUSPENSE_NOT_FOUND');
      const done = await refund(item.id, { reason: 'Overpaid by 100; refunded in full' });
      assert.equal(done.status, 200, done.text);
      assert.deepEqual(
        done.body.settlements.map((x) => [x.kind, x.amount, x.currency]),
        [['REFUND', '3100', 'USD']],
      );
      const again = await refund(item.id, { reason: 'again' });
      assert.equal(again.status, 409, again.text);
      assert.equal(again.headers.get('content-type')?.startsWith('application/problem+json'), true);
      await s.engine.settlementWorker.runOnce();
    });

    it('apply funds the escrow when the items make up what is due', async () => {
      const id = await create('8000');
      await s.engine.simulator.pay(id, { amount: '5000' });
      await s.engine.simulator.pay(id, { amount: '3000' });
      const list = await s.call<SuspenseBody>('GET', `/api/admin/suspense?escrowId=${id}`, { token: admin });
      const [a, b] = list.body.data;
      assert.ok(a && b);
      const partial = await s.call('POST', `/api/admin/suspense/${a.id}/apply`, {
        token: admin,
        body: { reason: 'one part' },
      });
      assert.equal(partial.status, 400, partial.text);
      const applied = await s.call<EscrowBody>('POST', `/api/admin/suspense/${a.id}/apply`, {
        token: admin,
        body: { reason: 'Buyer topped up', alsoApply: [b.id] },
      });
      assert.equal(applied.status, 200, applied.text);
      assert.equal(applied.body.status, 'FUNDS_HELD');
      assert.equal(applied.body.fundedAmount, '8000');
    });

    it('GET /api/escrow?flagged=true is the review queue (admin); clear-flag needs a reason', async () => {
      const id = await create('4100');
      await s.engine.simulator.pay(id, { amount: '41' });
      assert.equal((await s.call('GET', '/api/escrow?flagged=true', { token: buyer })).status, 403);
      assert.equal((await s.call('GET', '/api/escrow?flagged=maybe', { token: admin })).status, 400);
      const queue = await s.call<{ data: EscrowBody[] }>('GET', '/api/escrow?flagged=true&limit=50', { token: admin });
      assert.equal(queue.status, 200, queue.text);
      assert.ok(queue.body.data.some((e) => e.id === id));
      assert.ok(queue.body.data.every((e) => e.flaggedForReview));
      const clear = (body: unknown) =>
        s.call<EscrowBody>('POST', `/api/escrow/${id}/clear-flag`, { token: admin, body });
      assert.equal((await clear({})).status, 400);
      const cleared = await clear({ reason: 'Reviewed; the stray payment will be refunded' });
      assert.equal(cleared.status, 200, cleared.text);
      assert.equal(cleared.body.flaggedForReview, false);
      const after = await s.call<{ data: EscrowBody[] }>('GET', '/api/escrow?flagged=true&limit=50', { token: admin });
      assert.ok(!after.body.data.some((e) => e.id === id));
      assert.equal((await clear({ reason: 'again' })).status, 409);
    });
  });
}
