import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { StoredEvent } from '../src/app/ports/index.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  deliveredEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';

for (const kind of engineKinds()) {
  for (const action of ['REFUND', 'RELEASE'] as const) {
    describe(`delivery timeout with ESCROW_DELIVERED_TIMEOUT_ACTION=${action} on ${kind}`, () => {
      let t: TestEngine;
      before(async () => {
        t = await testEngine(kind, { ESCROW_DELIVERED_TIMEOUT_ACTION: action });
      });
      after(async () => {
        try {
          await assertDatabaseVerifies(t.engine);
        } finally {
          await t.close();
        }
      });

      it(`applies ${action} once the confirmation deadline passed, exactly once`, async () => {
        const { engine, clock } = t;
        const id = await deliveredEscrow(engine);
        clock.advanceDays(6.9);
        assert.equal((await engine.timeouts.runOnce()).deliveryTimeouts, 0);
        clock.advanceDays(0.2);
        const first = await engine.timeouts.runOnce();
        assert.equal(first.deliveryTimeouts, 1);
        const second = await engine.timeouts.runOnce();
        assert.equal(second.deliveryTimeouts, 0, 'a second run finds nothing due');
        const e = await engine.readModel.getEscrow(id);
        assert.equal(e?.status, action === 'REFUND' ? 'REFUNDED' : 'RELEASED');
        assert.equal(e?.settlements.length, 1);
        assert.equal(e?.settlements[0]?.kind, action === 'REFUND' ? 'REFUND' : 'PAYOUT');
        await engine.settlementWorker.runOnce();
        await assertEscrowInvariants(engine, id);
      });
    });
  }

  describe(`settlements worker on ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind, { ESCROW_MAX_RETRIES: '3', ESCROW_RETRY_DELAY_MS: '1000' });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    it('a transient failure is retried with backoff and then succeeds (amount ending in 14)', async () => {
      const { engine, clock } = t;
      const id = await deliveredEscrow(engine, { amount: '20014' });
      await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
      const first = await engine.settlementWorker.runOnce();
      assert.equal(first.retrying, 1);
      assert.equal((await engine.settlementWorker.runOnce()).claimed, 0, 'not due before the backoff');
      clock.advance(1001);
      const second = await engine.settlementWorker.runOnce();
      assert.equal(second.succeeded, 1);
      const e = await engine.readModel.getEscrow(id);
      assert.equal(e?.settlements[0]?.status, 'SUCCEEDED');
      await assertEscrowInvariants(engine, id);
    });

    it('a lease held by a process whose heartbeat stopped is taken over at once; a live holder keeps its lease', async () => {
      const { engine, clock, db } = t;
      const lease = async (escrowId: string, holder: string) =>
        db.query(
          `UPDATE settlements SET locked_until = $2::timestamptz + interval '60 seconds', locked_by = $1,
                  attempts = attempts + 1 WHERE escrow_id = $3`,
          [holder, clock.now(), escrowId],
        );
      const live = randomUUID();
      await db.query(
        `INSERT INTO process_heartbeats (instance_id, role, host, pid, version, started_at, last_seen)
         VALUES ($1, 'settlements', 'worker-2', 4242, 'test', now(), now())`,
        [live],
      );
      const a = await deliveredEscrow(engine);
      await engine.service.execute('ConfirmDelivery', a, actors.buyer, {});
      await lease(a, live);
      // a process that beat and then stopped (it crashed: its rows stay, stale) is gone
      const dead = randomUUID();
      await db.query(
        `INSERT INTO process_heartbeats (instance_id, role, host, pid, version, started_at, last_seen)
         VALUES ($1, 'settlements', 'worker-3', 4343, 'test', now() - interval '2 minutes', now() - interval '1 minute')`,
        [dead],
      );
      const b = await deliveredEscrow(engine);
      await engine.service.execute('ConfirmDelivery', b, actors.buyer, {});
      await lease(b, dead);
      // a holder that never beat here at all (a process without a heartbeat loop) keeps its lease until it runs out
      const c = await deliveredEscrow(engine);
      await engine.service.execute('ConfirmDelivery', c, actors.buyer, {});
      await lease(c, randomUUID());

      const first = await engine.settlementWorker.runOnce();
      assert.equal(first.claimed, 1, 'the lease of a holder whose heartbeat stopped is taken over; the others are not');
      assert.equal((await engine.readModel.getEscrow(b))?.settlements[0]?.status, 'SUCCEEDED');
      assert.equal((await engine.readModel.getEscrow(a))?.settlements[0]?.status, 'PENDING');
      assert.equal((await engine.readModel.getEscrow(c))?.settlements[0]?.status, 'PENDING');

      // the live holder dies: within the lease (the clock has not moved), its settlement is taken over
      await db.query(`UPDATE process_heartbeats SET last_seen = now() - interval '1 minute' WHERE instance_id = $1`, [
        live,
      ]);
      const second = await engine.settlementWorker.runOnce();
      assert.equal(second.succeeded, 1);
      assert.equal((await engine.readModel.getEscrow(c))?.settlements[0]?.status, 'PENDING', 'still leased');
      // its lease runs out: then it is claimed as any other
      await db.query(
        `UPDATE settlements SET locked_until = $2::timestamptz - interval '1 second' WHERE escrow_id = $1`,
        [c, clock.now()],
      );
      assert.equal((await engine.settlementWorker.runOnce()).succeeded, 1);
      for (const id of [a, b, c]) {
        const e = await engine.readModel.getEscrow(id);
        assert.equal(e?.settlements[0]?.status, 'SUCCEEDED');
        const results = (await engine.readModel.events(id)).filter((x) => x.type === 'SettlementSucceeded');
        assert.equal(results.length, 1, 'one result recorded');
        await assertEscrowInvariants(engine, id);
      }
    });

    it("a holder whose lease was taken over cannot clear or reschedule the new holder's lease", async () => {
      const { engine, db } = t;
      const id = await deliveredEscrow(engine);
      await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
      const settlementId = (await engine.readModel.getEscrow(id))!.settlements[0]!.id;
      const [old, current] = [randomUUID(), randomUUID()];
      await db.query(
        `UPDATE settlements SET locked_until = now() + interval '60 seconds', locked_by = $1 WHERE id = $2`,
        [current, settlementId],
      );
      const row = async () =>
        (
          await db.query<{ locked_by: string | null; failures: number }>(
            'SELECT locked_by, failures FROM settlements WHERE id = $1',
            [settlementId],
          )
        ).rows[0]!;
      await engine.stores.settlements.scheduleRetry(settlementId, 'late answer of the old holder', 1000, old);
      await engine.stores.settlements.release(settlementId, old);
      assert.deepEqual(await row(), { locked_by: current, failures: 0 }, 'the current holder keeps its lease');
      await engine.stores.settlements.release(settlementId, current);
      assert.equal((await row()).locked_by, null, 'its own holder releases it');
      assert.equal((await engine.settlementWorker.runOnce()).succeeded, 1);
      await assertEscrowInvariants(engine, id);
    });

    it('a settlement failing past ESCROW_MAX_RETRIES is FAILED, stays visible, and an admin retry succeeds', async () => {
      const { engine, clock } = t;
      const id = await deliveredEscrow(engine, { amount: '30015' });
      await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await engine.settlementWorker.runOnce();
        outcomes.push(r.failed ? 'failed' : r.retrying ? 'retrying' : 'none');
        clock.advance(10_000);
      }
      assert.deepEqual(outcomes, ['retrying', 'retrying', 'failed']);
      let e = await engine.readModel.getEscrow(id);
      const s = e!.settlements[0]!;
      assert.equal(s.status, 'FAILED');
      assert.match(s.failureReason ?? '', /magic amount/);
      assert.equal(e?.status, 'RELEASED', 'a failed payout never rolls the escrow back');
      // while failed, the money is still owed to the seller
      const owed = (await engine.readModel.ledger(id))
        .filter((p) => p.account === `escrow:${id}:seller_payable`)
        .reduce((a, p) => a + p.amount, 0n);
      assert.equal(owed, 30015n);
      await assertEscrowInvariants(engine, id);
      assert.equal((await engine.settlementWorker.runOnce()).claimed, 0, 'FAILED is not picked up again by itself');

      await engine.service.execute('RetrySettlement', id, actors.admin, { settlementId: s.id });
      const retried = await engine.settlementWorker.runOnce();
      assert.equal(retried.succeeded, 1);
      e = await engine.readModel.getEscrow(id);
      assert.equal(e?.settlements[0]?.status, 'SUCCEEDED');
      assert.deepEqual((await engine.readModel.events(id)).map((x) => x.type).slice(-3), [
        'SettlementFailed',
        'SettlementRetried',
        'SettlementSucceeded',
      ]);
      await assertEscrowInvariants(engine, id);
    });
  });

  describe(`embedded outbox relay on ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind);
    });
    after(async () => {
      await t.close();
    });

    it('hands committed events to subscribers in order per escrow and marks them published only after', async () => {
      const { engine } = t;
      // drain what earlier tests left
      while ((await engine.outbox.runOnce()) > 0);
      const a = await deliveredEscrow(engine);
      const b = await deliveredEscrow(engine);
      await engine.service.execute('ConfirmDelivery', a, actors.buyer, {});
      const seen: StoredEvent[] = [];
      let failing = true;
      const unsubscribe = engine.bus.subscribe('test', (e) => {
        if (failing && e.escrowId === a && e.type === 'EscrowDelivered') throw new Error('subscriber down');
        seen.push(e);
      });
      try {
        await engine.outbox.runOnce();
        let stats = await engine.stores.outbox.stats();
        const pending = await t.db.query<{ escrow_id: string; event_type: string }>(
          `SELECT o.escrow_id, e.type AS event_type FROM outbox o JOIN escrow_events e USING (event_id)
            WHERE o.published_at IS NULL ORDER BY o.id`,
        );
        assert.deepEqual(
          pending.rows.map((r) => [r.escrow_id, r.event_type]),
          [
            [a, 'EscrowDelivered'],
            [a, 'DeliveryConfirmed'],
            [a, 'EscrowReleased'],
          ],
          'the failed event and the later ones of its escrow stay unpublished; the other escrow is not held up',
        );
        assert.equal(stats.unpublished, 3);
        failing = false;
        // the failed one backs off; make it due now instead of sleeping
        await t.db.query(`UPDATE outbox SET next_attempt_at = now() WHERE published_at IS NULL`);
        while ((await engine.outbox.runOnce()) > 0);
        stats = await engine.stores.outbox.stats();
        assert.equal(stats.unpublished, 0);
        for (const id of [a, b]) {
          const stored = await engine.readModel.events(id);
          const delivered = seen.filter((e) => e.escrowId === id);
          const unique = [...new Map(delivered.map((e) => [e.eventId, e])).values()];
          assert.deepEqual(
            unique.map((e) => e.sequence),
            stored.map((e) => e.sequence),
            `every event of ${id} arrives, in order`,
          );
          // redeliveries are allowed (at least once), but no event ever arrives before an earlier one of its escrow
          delivered.forEach((e, i) => {
            const earlier = new Set(delivered.slice(0, i).map((x) => x.sequence));
            for (let k = 1; k < e.sequence; k++) assert.ok(earlier.has(k), `event ${e.sequence} arrived before ${k}`);
          });
        }
      } finally {
        unsubscribe();
      }
    });

    it('dead-letters a message after OUTBOX_MAX_ATTEMPTS and moves on', async () => {
      const { engine } = t;
      while ((await engine.outbox.runOnce()) > 0);
      const unsubscribe = engine.bus.subscribe('always-fails', () => {
        throw new Error('nope');
      });
      try {
        await engine.service.create(actors.buyer, {
          offerId: 'dead-letter-offer',
          buyerId: actors.buyer.id,
          sellerId: actors.seller.id,
          rail: 'SANDBOX',
          currency: 'USD',
          amount: '1000',
        });
        for (let i = 0; i < 10; i++) {
          await engine.outbox.runOnce();
          await t.db.query(`UPDATE outbox SET next_attempt_at = now() WHERE published_at IS NULL`);
        }
        const stats = await engine.stores.outbox.stats();
        assert.equal(stats.deadLetters, 1);
        assert.equal(stats.unpublished, 0);
      } finally {
        unsubscribe();
      }
    });
  });
}
