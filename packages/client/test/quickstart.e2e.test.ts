import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ENGINE_KINDS,
  RELEASED_LIFECYCLE,
  assertDatabaseVerifies,
  assertEscrowInvariants,
} from '../../../test/harness.js';
import { testServer, type TestServer } from '../../../test/httpHarness.js';
import { EscrowApiError, createEscrowClient, type EscrowClient } from '../src/index.js';

/**
 * The README's quick start, step by step, with the client instead of curl, against the service listening on a free
 * port (the SANDBOX rail, real JWTs): create, pay in the sandbox, deliver, confirm, read it back RELEASED. The
 * settlements worker is run by hand, as test/http.lifecycle.e2e.test.ts does (it has no HTTP surface).
 */
for (const kind of ENGINE_KINDS) {
  describe(`the README quick start with @escrow-services/client on ${kind}`, () => {
    let s: TestServer;
    let buyer: EscrowClient;
    let seller: EscrowClient;

    before(async () => {
      s = await testServer(kind);
      buyer = createEscrowClient({ baseUrl: s.baseUrl, token: await s.token('buyer-1', 'user') });
      const sellerToken = await s.token('seller-1', 'user');
      seller = createEscrowClient({ baseUrl: s.baseUrl, getToken: () => sellerToken });
    });
    after(async () => {
      await s.close();
    });

    it('create → pay in the sandbox → deliver → confirm → RELEASED, the ledger balanced', async () => {
      // 1. the marketplace (here: the buyer) opens an escrow for an accepted offer
      const create = () =>
        buyer.applied(
          buyer.POST('/api/escrow', {
            headers: { 'idempotency-key': 'offer-1001-create' },
            body: {
              offerId: 'offer-1001',
              buyerId: 'buyer-1',
              sellerId: 'seller-1',
              rail: 'SANDBOX',
              currency: 'USD',
              amount: '10000',
            },
          }),
        );
      const escrow = await create();
      assert.equal(escrow.status, 'AWAIT_FUNDS');
      assert.equal(escrow.amount, '10000');
      // the same key again is the same escrow, not a second one
      assert.equal((await create()).id, escrow.id);

      // 2. the buyer pays in the sandbox: a signed webhook through the normal webhook path
      const paid = await buyer.unwrap(
        buyer.POST('/api/sandbox/payments/{reference}/{outcome}', {
          params: { path: { reference: escrow.payment.reference, outcome: 'succeed' } },
        }),
      );
      assert.deepEqual(paid, { received: true, status: 'processed', outcome: 'FUNDS_HELD' });

      // 3. the seller delivers
      const delivered = await seller.applied(
        seller.POST('/api/escrow/{id}/mark-delivered', {
          params: { path: { id: escrow.id } },
          body: { title: 'Account credentials sent' },
        }),
      );
      assert.equal(delivered.status, 'DELIVERED');

      // 4. the buyer confirms; the settlements role pays the seller out
      const confirmed = await buyer.applied(
        buyer.POST('/api/escrow/{id}/confirm-delivery', { params: { path: { id: escrow.id } }, body: {} }),
      );
      assert.equal(confirmed.status, 'RELEASED');
      assert.equal(confirmed.releasedAmount, '10000');
      assert.equal((await s.engine.settlementWorker.runOnce()).succeeded, 1);

      // the whole story: events and ledger postings
      const story = await buyer.unwrap(
        buyer.GET('/api/escrow/{id}', { params: { path: { id: escrow.id }, query: { include: 'events,ledger' } } }),
      );
      assert.equal(story.status, 'RELEASED');
      assert.deepEqual(
        story.events?.map((e) => e.type),
        RELEASED_LIFECYCLE,
      );
      assert.ok((story.ledger ?? []).length > 0, 'the ledger postings are included');

      await assertEscrowInvariants(s.engine, escrow.id);
      await assertDatabaseVerifies(s.engine);
    });

    it('a refusal is an EscrowApiError with the problem, and the { data, error } style has it too', async () => {
      const stranger = createEscrowClient({ baseUrl: s.baseUrl, token: await s.token('someone-else', 'user') });
      const missing = '0190f0c8-0000-7000-8000-00000000dead';
      const refused = await stranger.GET('/api/escrow/{id}', { params: { path: { id: missing } } });
      assert.equal(refused.data, undefined);
      assert.equal(refused.response.status, 404);
      assert.equal(refused.error?.code, 'ESCROW_NOT_FOUND');

      await assert.rejects(
        stranger.unwrap(stranger.GET('/api/escrow/{id}', { params: { path: { id: missing } } })),
        (err: unknown) => {
          assert.ok(err instanceof EscrowApiError);
          assert.equal(err.status, 404);
          assert.equal(err.code, 'ESCROW_NOT_FOUND');
          assert.equal(err.problem?.status, 404);
          assert.match(err.requestId ?? '', /^[0-9a-f-]{36}$/);
          return true;
        },
      );
      await assert.rejects(
        stranger.applied(
          stranger.POST('/api/escrow', {
            body: { offerId: 'offer-2', buyerId: 'b', sellerId: 's', rail: 'SANDBOX', currency: 'USD', amount: '1.5' },
          }),
        ),
        (err: unknown) => {
          assert.ok(err instanceof EscrowApiError);
          assert.equal(err.status, 400);
          assert.equal(err.code, 'VALIDATION_ERROR');
          assert.ok(err.problem?.errors?.some((e) => e.field === 'amount'));
          return true;
        },
      );
    });
  });
}
