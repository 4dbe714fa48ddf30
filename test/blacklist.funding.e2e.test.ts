import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ENGINE_KINDS, assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';

// The blacklist (seed 003 RB-04) on the admin's manual funding: a party listed after the escrow was opened stops
// ConfirmPayment and ApplySuspense as it stops a create; the escrow stays AWAIT_FUNDS and the money can go back.

interface Escrow {
  id: string;
  status: string;
  amount: string;
  buyerFee: string;
  fundedAmount: string;
  settlements: { kind: string; amount: string }[];
  audit?: { action: string; details: Record<string, unknown> }[];
}
interface Problem {
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

function problem(res: HttpResult<unknown>, status: number, code: string): Problem {
  assert.equal(res.status, status, res.text);
  assert.equal((res.body as Problem).code, code, res.text);
  return res.body as Problem;
}

for (const kind of ENGINE_KINDS) {
  describe(`the blacklist on manual funding (${kind})`, () => {
    let s: TestServer;
    let admin = '';
    let buyer = '';
    before(async () => {
      s = await testServer(kind, {}, ['api']);
      admin = await s.token('ops-alice', 'admin');
      buyer = await s.token('buyer-1', 'user');
    });
    after(() => s.close());

    const call = <T = Escrow>(method: string, path: string, body?: unknown) =>
      s.call<T>(method, path, { token: admin, ...(body === undefined ? {} : { body }) });
    const ban = async (value: string) => {
      const res = await call<{ entry: { id: string } }>('POST', '/api/admin/blacklist', {
        kind: 'USER',
        value,
        reason: 'account takeover ring',
        source: 'SUPPORT-1204',
      });
      assert.equal(res.status, 201, res.text);
      return res.body.entry.id;
    };
    const open = async (sellerId: string) => {
      const res = await s.call<Escrow>('POST', '/api/escrow', {
        token: buyer,
        body: escrowInput({ sellerId, amount: '8000' }),
      });
      assert.equal(res.status, 201, res.text);
      return res.body;
    };

    it('ConfirmPayment: refused while a party is listed (nothing changes, audited); allowed once removed', async () => {
      const e = await open(`seller-confirm-${kind}`);
      const entryId = await ban(`seller-confirm-${kind}`);
      const body = {
        transactionId: 'wire-2026-12-02-0042',
        evidence: 'bank statement line 0042',
        amount: (BigInt(e.amount) + BigInt(e.buyerFee)).toString(),
        currency: 'USD',
      };
      // the buyer may not confirm a payment at all: refused as ever, without word of the list
      problem(await s.call('POST', `/api/escrow/${e.id}/confirm-payment`, { token: buyer, body }), 403, 'FORBIDDEN');
      const p = problem(await call('POST', `/api/escrow/${e.id}/confirm-payment`, body), 403, 'BLACKLISTED');
      assert.match(p.detail, /cannot confirm the payment: the seller seller-confirm-\S+ may not trade here/);
      assert.match(p.detail, /account takeover ring/, 'an admin is told the reason');
      assert.match(p.detail, /stays AWAIT_FUNDS/);
      assert.deepEqual(
        p.errors?.map((x) => x.field),
        ['sellerId'],
      );
      const still = await call('GET', `/api/escrow/${e.id}?include=audit`);
      assert.equal(still.body.status, 'AWAIT_FUNDS');
      assert.equal(still.body.fundedAmount, '0');
      const refusals = still.body.audit?.filter((a) => a.action === 'ConfirmPayment') ?? [];
      assert.deepEqual(
        refusals.map((a) => (a.details.refused as { code: string } | undefined)?.code),
        ['FORBIDDEN', 'BLACKLISTED'],
        JSON.stringify(still.body.audit),
      );

      const removed = await call('POST', `/api/admin/blacklist/${entryId}/remove`, {
        reason: 'cleared: false positive',
      });
      assert.equal(removed.status, 200, removed.text);
      const funded = await call('POST', `/api/escrow/${e.id}/confirm-payment`, body);
      assert.equal(funded.status, 200, funded.text);
      assert.equal(funded.body.status, 'FUNDS_HELD');
      await assertDatabaseVerifies(s.engine);
    });

    it('ApplySuspense: refused while a party is listed; the items can still be refunded to the payer', async () => {
      const e = await open(`seller-suspense-${kind}`);
      const due = BigInt(e.amount) + BigInt(e.buyerFee);
      await s.engine.simulator.pay(e.id, { amount: '5000' });
      await s.engine.simulator.pay(e.id, { amount: (due - 5000n).toString() });
      const list = await call<{ data: { id: string }[] }>('GET', `/api/admin/suspense?escrowId=${e.id}`);
      const [a, b] = list.body.data;
      assert.ok(a && b, list.text);
      await ban(`seller-suspense-${kind}`);
      const apply = { reason: 'buyer topped up', alsoApply: [b.id] };
      const p = problem(await call('POST', `/api/admin/suspense/${a.id}/apply`, apply), 403, 'BLACKLISTED');
      assert.match(p.detail, /cannot apply money in suspense to this escrow/);
      assert.equal((await call('GET', `/api/escrow/${e.id}`)).body.status, 'AWAIT_FUNDS');
      for (const item of [a, b]) {
        const back = await call('POST', `/api/admin/suspense/${item.id}/refund`, { reason: 'blacklisted seller' });
        assert.equal(back.status, 200, back.text);
      }
      await s.engine.settlementWorker.runOnce();
      await assertDatabaseVerifies(s.engine);
    });
  });
}
