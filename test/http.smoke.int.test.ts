import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engineKinds, assertDatabaseVerifies, assertEscrowInvariants } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

for (const kind of engineKinds()) {
  describe(`HTTP happy path on ${kind}`, () => {
    let s: TestServer;
    before(async () => {
      s = await testServer(kind);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    it('create → pay in the sandbox → deliver → confirm, over HTTP', async () => {
      const buyer = await s.token('buyer-1', 'user');
      const seller = await s.token('seller-1', 'user');
      const created = await s.call<{ id: string; payment: { reference: string }; status: string }>(
        'POST',
        '/api/escrow',
        {
          token: buyer,
          body: {
            offerId: 'offer-http-1',
            buyerId: 'buyer-1',
            sellerId: 'seller-1',
            rail: 'SANDBOX',
            currency: 'USD',
            amount: '10000',
          },
        },
      );
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get('content-type')?.startsWith('application/json'), true);
      assert.ok(created.headers.get('x-request-id'));
      const id = created.body.id;
      const paid = await s.call('POST', `/api/sandbox/payments/${created.body.payment.reference}/succeed`);
      assert.equal(paid.status, 200, paid.text);
      const delivered = await s.call('POST', `/api/escrow/${id}/mark-delivered`, {
        token: seller,
        body: { title: 'sent' },
      });
      assert.equal(delivered.status, 200, delivered.text);
      const confirmed = await s.call<{ status: string }>('POST', `/api/escrow/${id}/confirm-delivery`, {
        token: buyer,
        body: {},
      });
      assert.equal(confirmed.body.status, 'RELEASED');
      const stranger = await s.call('GET', `/api/escrow/${id}`, { token: await s.token('someone', 'user') });
      assert.equal(stranger.status, 404);
      assert.equal(stranger.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      await s.engine.settlementWorker.runOnce();
      await assertEscrowInvariants(s.engine, id);
    });
  });
}
