import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReportService } from '../src/app/reports.js';
import { actors, assertDatabaseVerifies, engineKinds, escrowInput, testEngine, type TestEngine } from './harness.js';

// A milestone escrow settles milestone by milestone (MilestoneReleased), not by one EscrowReleased: the volume
// report and the counters count each milestone's release, and the released amount is what the seller was paid out.

for (const kind of engineKinds()) {
  describe(`volume of a milestone escrow on ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    it('each milestone released counts once; released amount = the payouts to the seller', async () => {
      const { engine } = t;
      const { escrow } = await engine.service.create(actors.buyer, escrowInput({ amount: '10000' }));
      const milestones = [
        { title: 'Design', amount: '4000' },
        { title: 'Build', amount: '6000' },
      ];
      await engine.service.execute('DefineMilestones', escrow.id, actors.buyer, { milestones });
      await engine.simulator.pay(escrow.id);
      const held = (await engine.readModel.getEscrow(escrow.id))!;
      for (const m of held.milestones) {
        await engine.service.execute('DeliverMilestone', escrow.id, actors.seller, {
          milestoneId: m.id,
          title: 'done',
        });
        await engine.service.execute('ReleaseMilestone', escrow.id, actors.buyer, { milestoneId: m.id });
      }
      const after = (await engine.readModel.getEscrow(escrow.id))!;
      assert.equal(after.status, 'RELEASED');
      const events = (await engine.readModel.events(escrow.id)).filter((e) => e.type === 'MilestoneReleased');
      assert.equal(events.length, 2);

      const report = await new ReportService({ queries: engine.stores.reports, clock: t.clock }).volume({});
      const usd = report.totals.find((r) => r.currency === 'USD')!;
      assert.equal(usd.released, 2, 'two milestones released');
      const { rows } = await engine.db.query<{ paid: string }>(
        `SELECT sum(amount)::text AS paid FROM settlements WHERE escrow_id = $1 AND kind = 'PAYOUT'`,
        [escrow.id],
      );
      assert.equal(usd.releasedAmount, rows[0]!.paid);
      assert.equal(usd.refundedAmount, '0');
      const released = (await engine.metrics.business.released.get()).values.find((v) => v.labels.currency === 'USD');
      assert.equal(released?.value, 2);
    });
  });
}
