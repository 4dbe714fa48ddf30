import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DisputeSummary } from '../../app/ports/disputeQueries.js';
import { actors, engineKinds, fundedEscrow, testEngine, type TestEngine } from '../../../test/harness.js';
import { SqlDisputeQueries } from './disputeQueries.js';

// The admins' dispute queue on the real command path (disputes opened, answered, reviewed and resolved by commands):
// which deadline has passed at `now`, the order (next deadline, then age) and the limit, on PGlite and PostgreSQL.

const DAY = 86_400_000;
const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const at = (days: number) => new Date(T0 + days * DAY);
const iso = (days: number) => at(days).toISOString();

for (const kind of engineKinds()) {
  describe(`SqlDisputeQueries (${kind})`, () => {
    let t: TestEngine;
    let q: SqlDisputeQueries;
    /** The dispute ids by name: a (unanswered), b (answered by the seller), c (seller opened, in review). */
    const ids: Record<string, { escrowId: string; disputeId: string }> = {};

    async function dispute(name: string, opener = actors.buyer) {
      const escrowId = await fundedEscrow(t.engine);
      const { escrow } = await t.engine.service.execute('OpenDispute', escrowId, opener, { reason: `about ${name}` });
      ids[name] = { escrowId, disputeId: escrow.disputes[0]!.id };
      return ids[name];
    }

    const names = (list: DisputeSummary[]) =>
      list.map((d) => Object.entries(ids).find(([, v]) => v.disputeId === d.disputeId)?.[0] ?? d.disputeId);

    before(async () => {
      t = await testEngine(kind);
      q = new SqlDisputeQueries(t.db);
      assert.equal(t.clock.now().getTime(), T0);
      const a = await dispute('a');
      // the opener adding more is not an answer
      await t.engine.service.execute('AddDisputeEvidence', a.escrowId, actors.buyer, {
        disputeId: a.disputeId,
        statement: 'still nothing arrived',
      });
      t.clock.advanceDays(1);
      const b = await dispute('b');
      t.clock.advance(DAY / 2);
      await t.engine.service.execute('AddDisputeEvidence', b.escrowId, actors.seller, {
        disputeId: b.disputeId,
        statement: 'delivered on time, see the tracking number',
      });
      t.clock.advance(DAY / 2);
      const c = await dispute('c', actors.seller);
      await t.engine.service.execute('StartDisputeReview', c.escrowId, actors.admin, { disputeId: c.disputeId });
      const d = await dispute('resolved');
      await t.engine.service.execute('StartDisputeReview', d.escrowId, actors.admin, { disputeId: d.disputeId });
      await t.engine.service.execute('ResolveDispute', d.escrowId, actors.admin, {
        disputeId: d.disputeId,
        resolution: 'REFUND',
        reason: 'no delivery',
      });
    });
    after(() => t.close());

    it('lists every open dispute with its deadlines, soonest first; a resolved one never', async () => {
      const list = await q.openDisputes({ now: at(2.5), limit: 50 });
      assert.deepEqual(names(list), ['a', 'c', 'b']);
      const [a, c, b] = list as [DisputeSummary, DisputeSummary, DisputeSummary];
      assert.deepEqual(a, {
        disputeId: ids.a!.disputeId,
        escrowId: ids.a!.escrowId,
        milestoneId: null,
        openedBy: actors.buyer.id,
        reason: 'about a',
        status: 'OPEN',
        reviewerId: null,
        createdAt: iso(0),
        respondBy: iso(3),
        responded: false,
        slaDueAt: iso(7),
        overdue: [],
        nextDeadline: iso(3),
      });
      assert.equal(b.responded, true, 'the seller answered');
      assert.equal(b.nextDeadline, iso(8), 'answered: only the SLA is still running');
      assert.equal(c.status, 'IN_REVIEW');
      assert.equal(c.reviewerId, actors.admin.id);
      assert.equal(c.openedBy, actors.seller.id);
      assert.equal(c.nextDeadline, iso(5));
      assert.deepEqual(await q.openDisputes({ now: at(2.5), overdue: true, limit: 50 }), []);
      assert.deepEqual(await q.overdueCounts(at(2.5)), { response: 0, sla: 0 });
      const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM disputes`);
      assert.equal(rows[0]!.n, 4, 'the resolved dispute is in the table, just not in the queue');
    });

    it('RESPONSE is overdue only while unanswered: the answered dispute past its respond-by is not', async () => {
      const now = at(5.5);
      const overdue = await q.openDisputes({ now, overdue: true, limit: 50 });
      assert.deepEqual(names(overdue), ['a', 'c']);
      assert.deepEqual(
        overdue.map((d) => d.overdue),
        [['RESPONSE'], ['RESPONSE']],
      );
      const all = await q.openDisputes({ now, limit: 50 });
      assert.deepEqual(names(all), ['a', 'c', 'b']);
      assert.deepEqual(all[2]!.overdue, [], 'b: respond-by passed, but the seller answered in time');
      assert.deepEqual(await q.overdueCounts(now), { response: 2, sla: 0 });
    });

    it('SLA is overdue for answered and unanswered disputes alike', async () => {
      const early = await q.openDisputes({ now: at(7.5), overdue: true, limit: 50 });
      assert.deepEqual(
        early.map((d) => [names([d])[0], d.overdue]),
        [
          ['a', ['RESPONSE', 'SLA']],
          ['c', ['RESPONSE']],
        ],
      );
      assert.deepEqual(await q.overdueCounts(at(7.5)), { response: 2, sla: 1 });
      const late = await q.openDisputes({ now: at(8.5), overdue: true, limit: 50 });
      assert.deepEqual(names(late), ['a', 'c', 'b']);
      assert.deepEqual(late[2]!.overdue, ['SLA'], 'b: overdue by the SLA only');
      assert.deepEqual(await q.overdueCounts(at(8.5)), { response: 2, sla: 2 });
      assert.deepEqual(await q.overdueCounts(at(9.5)), { response: 2, sla: 3 });
    });

    it('the limit keeps the soonest deadlines', async () => {
      assert.deepEqual(names(await q.openDisputes({ now: at(2.5), limit: 1 })), ['a']);
      assert.deepEqual(names(await q.openDisputes({ now: at(8.5), overdue: true, limit: 2 })), ['a', 'c']);
    });

    it('equal deadlines: the older dispute first', async () => {
      // opened 5 days in, unanswered: due T0+8d like b's SLA (b answered), but b is older
      t.clock.advanceDays(3);
      await dispute('e');
      const list = await q.openDisputes({ now: at(5.5), limit: 50 });
      assert.deepEqual(names(list), ['a', 'c', 'b', 'e']);
      assert.equal(list[2]!.nextDeadline, iso(8));
      assert.equal(list[3]!.nextDeadline, iso(8));
      assert.deepEqual(list[3]!.overdue, []);
    });
  });
}
