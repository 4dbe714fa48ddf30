import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Counter, Gauge } from 'prom-client';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  fundedEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';

/** A counter's value for these labels (0 when never incremented). */
async function valueOf(counter: Counter<string> | Gauge<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  const match = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return match?.value ?? 0;
}

for (const kind of engineKinds()) {
  describe(`metrics are counted where the work happens on ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind, { OUTBOX_MAX_ATTEMPTS: '1' });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    it('webhook_events_total counts the sandbox pay button and a redelivery; a redelivered command is a duplicate', async () => {
      const { engine } = t;
      const m = engine.metrics;
      const created = await engine.service.create(actors.buyer, escrowInput());
      const paid = await engine.simulator.pay(created.escrow.id);
      assert.equal(paid.outcome.status, 'processed');
      assert.equal(await valueOf(m.webhookEvents, { provider: 'sandbox', outcome: 'processed' }), 1);
      const again = await engine.webhooks.receive('sandbox', paid.rawBody, paid.headers);
      assert.equal(again.status, 'duplicate');
      assert.equal(await valueOf(m.webhookEvents, { provider: 'sandbox', outcome: 'duplicate' }), 1);
      assert.equal(await valueOf(m.commands, { command: 'ReceivePayment', outcome: 'duplicate' }), 1);
      assert.equal(await valueOf(m.commands, { command: 'ReceivePayment', outcome: 'applied' }), 1);
      await assert.rejects(engine.webhooks.receive('sandbox', paid.rawBody, {}));
      assert.equal(await valueOf(m.webhookEvents, { provider: 'sandbox', outcome: 'rejected' }), 1);
    });

    it('outbox_published_total counts published events; outbox_dead_letters_total the dead-lettered', async () => {
      const { engine } = t;
      const m = engine.metrics;
      while ((await engine.outbox.runOnce()) > 0);
      const published = await valueOf(m.outboxPublished);
      const { rows } = await t.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL',
      );
      assert.ok(published > 0);
      assert.equal(published, rows[0]!.n, 'every published row counted once');

      const unsubscribe = engine.bus.subscribe('failing', () => {
        throw new Error('subscriber down');
      });
      try {
        await engine.service.create(actors.buyer, escrowInput());
        await engine.outbox.runOnce();
      } finally {
        unsubscribe();
      }
      assert.equal(await valueOf(m.outboxDeadLetters), 1, 'OUTBOX_MAX_ATTEMPTS=1: the failed event is dead');
      assert.equal(await valueOf(m.outboxPublished), published, 'nothing more was published');
      assert.equal((await engine.stores.outbox.stats()).deadLetters, 1);
      // An operator replays it once the subscriber is back (nothing is left dead for the ledger check).
      await engine.stores.outbox.replay({ allDead: true });
      while ((await engine.outbox.runOnce()) > 0);
      assert.equal((await engine.stores.outbox.stats()).deadLetters, 0);
    });

    it('escrow_disputes_overdue{deadline} moves on scrape as deadlines pass and the other party answers', async () => {
      const { engine, clock } = t;
      const m = engine.metrics;
      const scrape = () => m.scrape(() => engine.operations.snapshot());
      const overdue = async () => ({
        response: await valueOf(m.disputesOverdue, { deadline: 'response' }),
        sla: await valueOf(m.disputesOverdue, { deadline: 'sla' }),
      });
      const first = await fundedEscrow(engine);
      const opened = await engine.service.execute('OpenDispute', first, actors.buyer, { reason: 'not delivered' });
      const second = await fundedEscrow(engine);
      await engine.service.execute('OpenDispute', second, actors.seller, { reason: 'buyer unreachable' });
      let text = await scrape();
      assert.match(text, /^escrow_disputes_overdue\{deadline="response"\} 0$/m);
      assert.match(text, /^escrow_disputes_overdue\{deadline="sla"\} 0$/m);

      clock.advanceDays(3.5); // past DISPUTE_RESPOND_DAYS (3), nobody answered
      await scrape();
      assert.deepEqual(await overdue(), { response: 2, sla: 0 });

      // a late answer still ends the RESPONSE overdue
      await engine.service.execute('AddDisputeEvidence', first, actors.seller, {
        disputeId: opened.escrow.disputes[0]!.id,
        statement: 'shipped, tracking attached',
      });
      await scrape();
      assert.deepEqual(await overdue(), { response: 1, sla: 0 });

      clock.advanceDays(4); // past DISPUTE_SLA_DAYS (7)
      text = await scrape();
      assert.deepEqual(await overdue(), { response: 1, sla: 2 });
      assert.match(text, /^escrow_disputes_overdue\{deadline="sla"\} 2$/m);
    });
  });
}
