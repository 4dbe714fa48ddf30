import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemEnvelope } from '../src/app/envelope.js';
import { assertDatabaseVerifies } from './harness.js';
import { PaystackDriver } from './rails/drivers.js';
import { ok, railServer, type RailServer } from './rails/railServer.js';

/**
 * An admin retry of a FAILED settlement is a new round with its own provider reference (`<id>-r<n>`). Paystack
 * deduplicates only on the reference, so before the new round sends anything the earlier rounds are looked up: a
 * transfer whose answer was lost, still moving at Paystack, is waited for, never sent a second time.
 */
void describe('settlement rounds on PAYSTACK', () => {
  const driver = new PaystackDriver();
  let r: RailServer;
  before(async () => {
    r = await railServer(driver);
  });
  after(() => r?.close());

  /** A released escrow whose round-0 payout is pending at Paystack, given up on (FAILED) and retried by an admin. */
  async function retriedWhilePending() {
    const seller = r.newSeller();
    await r.registerAccount(seller);
    const e = await r.released(seller);
    const settlementId = e.settlements[0]!.id;
    await r.s.engine.settlementWorker.runOnce(); // round 0: the transfer is accepted, pending at Paystack
    assert.equal(driver.fake.transfers.get(settlementId)?.status, 'pending');
    // the worker gave up on it (its answers lost, retries exhausted): FAILED, recorded through the command path
    await r.s.engine.handler.handle(
      systemEnvelope({
        key: `test:${settlementId}:failed`,
        type: 'RecordSettlementResult',
        escrowId: e.id,
        actorId: 'worker:settlements',
        correlationId: 'test',
        payload: { settlementId, outcome: 'FAILED', reason: 'paystack: timeouts' },
        now: r.s.clock.now(),
      }),
    );
    ok(await r.s.call('POST', `/api/escrow/${e.id}/settlements/${settlementId}/retry`, { token: r.t.admin, body: {} }));
    r.s.clock.advance(61_000);
    await r.s.engine.settlementWorker.runOnce(); // round 1 looks at round 0 first
    const transfers = () => [...driver.fake.transfers.values()].filter((t) => t.reference.startsWith(settlementId));
    return { e, settlementId, transfers };
  }

  void it('round 0 still pending at Paystack when an admin retries: no second transfer, and its success settles it', async () => {
    const { e, settlementId, transfers } = await retriedWhilePending();
    const ours = transfers();
    assert.equal(ours.length, 1, `one transfer: ${ours.map((t) => t.reference).join(', ')}`);
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'PENDING');
    await driver.fake.completeTransfer(settlementId, 'success'); // round 0's transfer.success webhook
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    await assertDatabaseVerifies(r.s.engine);
  });

  void it("round 0's late failure is stale for round 1: the retry then sends round 1 and it settles", async () => {
    const { e, settlementId, transfers } = await retriedWhilePending();
    await driver.fake.completeTransfer(settlementId, 'failed'); // round 0's transfer.failed arrives now
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'PENDING', 'an old round cannot fail the new one');
    r.s.clock.advance(61_000);
    await r.s.engine.settlementWorker.runOnce(); // round 0 is failed at Paystack: round 1 goes out
    assert.deepEqual(
      transfers()
        .map((t) => [t.reference, t.status])
        .sort(),
      [
        [settlementId, 'failed'],
        [`${settlementId}-r1`, 'pending'],
      ],
    );
    await driver.fake.completeTransfer(`${settlementId}-r1`, 'success');
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    await assertDatabaseVerifies(r.s.engine);
  });
});
