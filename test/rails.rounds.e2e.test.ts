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

  void it('round 0 still pending at Paystack when an admin retries: no second transfer, and its success settles it', async () => {
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
    const ours = [...driver.fake.transfers.values()].filter((t) => t.reference.startsWith(settlementId));
    assert.equal(ours.length, 1, `one transfer: ${ours.map((t) => t.reference).join(', ')}`);
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'PENDING');
    await driver.fake.completeTransfer(settlementId, 'success'); // round 0's transfer.success webhook
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    await assertDatabaseVerifies(r.s.engine);
  });
});
