import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENGINE_KINDS, assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';

// SPEC §3.2 over HTTP: the buyer (not the seller) defines the milestones before funding; one milestone is released,
// then a dispute of the whole escrow is ruled as a split: every milestone carries its part of the amounts, and the
// milestones add up to the escrow's released, refunded and fee amounts. Ends with verify.

interface Milestone {
  id: string;
  amount: string;
  buyerFee: string;
  status: string;
  sellerAmount: string;
  buyerAmount: string;
  feeAmount: string;
}
interface Escrow {
  id: string;
  status: string;
  refundType: string | null;
  fundedAmount: string;
  releasedAmount: string;
  refundedAmount: string;
  feeAmount: string;
  payment: { reference: string };
  milestones: Milestone[];
  events?: { type: string; data: Record<string, unknown> }[];
}

function ok<T>(res: HttpResult<T>, status = 200): T {
  assert.equal(res.status, status, res.text);
  return res.body;
}

for (const kind of ENGINE_KINDS) {
  void describe(`milestone escrow settled as a whole over HTTP (${kind})`, () => {
    let s: TestServer;
    const t = { buyer: '', seller: '', admin: '', service: '' };
    before(async () => {
      s = await testServer(kind, {}, ['api']);
      t.buyer = await s.token('buyer-1', 'user');
      t.seller = await s.token('seller-1', 'user');
      t.admin = await s.token('admin-1', 'admin');
      t.service = await s.token('market-svc', 'service');
    });
    after(() => s.close());

    const post = (id: string, path: string, token: string, body: unknown = {}) =>
      s.call<Escrow>('POST', `/api/escrow/${id}${path}`, { token, body });

    void it('one milestone released, the rest split by a ruling: the milestones add up to the escrow', async () => {
      const body = escrowInput({ amount: '10000', buyerFee: '320', sellerFee: '50' });
      const e = ok(await s.call<Escrow>('POST', '/api/escrow', { token: t.service, body }), 201);
      const parts = {
        milestones: [
          { title: 'Design', amount: '3000' },
          { title: 'Build', amount: '3000' },
          { title: 'Launch', amount: '4000' },
        ],
      };
      const refused = await post(e.id, '/milestones', t.seller, parts);
      assert.equal(refused.status, 403, refused.text);
      assert.match(refused.text, /FORBIDDEN/);
      assert.match(refused.text, /the buyer \(or an admin\) must define them/);
      const defined = ok(await post(e.id, '/milestones', t.buyer, parts));
      assert.deepEqual(
        defined.milestones.map((m) => m.buyerFee),
        ['96', '96', '128'],
      );
      ok(await s.call('POST', `/api/sandbox/payments/${e.payment.reference}/succeed`));
      const [m1, m2, m3] = defined.milestones.map((m) => m.id);
      ok(await post(e.id, `/milestones/${m1}/deliver`, t.seller, { title: 'Mock-ups' }));
      ok(await post(e.id, `/milestones/${m1}/release`, t.buyer));
      const dispute = ok(await post(e.id, '/dispute', t.seller, { reason: 'the buyer stopped answering' }), 201);
      const disputeId = (dispute as unknown as { id: string }).id;
      ok(
        await post(e.id, `/dispute/${disputeId}/resolve`, t.admin, {
          resolution: 'SPLIT',
          buyerAmount: '1000',
          reason: 'build half done, launch not started',
        }),
      );

      const done = ok(await s.call<Escrow>('GET', `/api/escrow/${e.id}?include=events`, { token: t.admin }));
      assert.equal(done.status, 'REFUNDED');
      assert.equal(done.refundType, 'PARTIAL');
      // 1000 over the open 3000 / 4000: 429 / 571, each milestone split on its own amount and fee shares
      assert.deepEqual(
        done.milestones.map((m) => [m.id, m.status, m.buyerAmount, m.sellerAmount, m.feeAmount]),
        [
          [m1, 'RELEASED', '0', '2985', '111'],
          [m2, 'REFUNDED', '429', '2558', '109'],
          [m3, 'REFUNDED', '571', '3412', '145'],
        ],
      );
      const total = (k: 'buyerAmount' | 'sellerAmount' | 'feeAmount') =>
        done.milestones.reduce((a, m) => a + BigInt(m[k]), 0n);
      assert.deepEqual(
        [total('buyerAmount'), total('sellerAmount'), total('feeAmount')],
        [BigInt(done.refundedAmount), BigInt(done.releasedAmount), BigInt(done.feeAmount)],
      );
      for (const m of done.milestones) {
        const whole = BigInt(m.buyerAmount) + BigInt(m.sellerAmount) + BigInt(m.feeAmount);
        assert.equal(whole, BigInt(m.amount) + BigInt(m.buyerFee));
      }
      assert.equal(total('buyerAmount') + total('sellerAmount') + total('feeAmount'), BigInt(done.fundedAmount));
      const refund = done.events!.find((x) => x.type === 'EscrowRefunded')!;
      assert.equal(refund.data.buyerAmount, '1000');
      assert.deepEqual(
        (refund.data.milestones as { milestoneId: string }[]).map((x) => x.milestoneId),
        [m2, m3],
      );
      await assertDatabaseVerifies(s.engine);
    });
  });
}
