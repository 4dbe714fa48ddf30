import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DisputeQueue } from '../src/http/routes/disputeAdmin.js';
import { actors, engineKinds, fundedEscrow, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// GET /api/admin/disputes (issue: dispute deadlines and SLA): the admins' queue of open disputes over the real app,
// next deadline first, with the overdue filter, the limit and the counts /metrics also shows.

const DAY = 86_400_000;

for (const kind of engineKinds()) {
  describe(`GET /api/admin/disputes (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    let answered: { escrowId: string; disputeId: string };
    let silent: { escrowId: string; disputeId: string };

    async function open(opener = actors.buyer) {
      const escrowId = await fundedEscrow(s.engine);
      const { escrow } = await s.engine.service.execute('OpenDispute', escrowId, opener, { reason: 'not delivered' });
      return { escrowId, disputeId: escrow.disputes[0]!.id };
    }
    const get = (query = '') => s.call<DisputeQueue>('GET', `/api/admin/disputes${query}`, { token: admin });

    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
      silent = await open();
      s.clock.advance(60_000);
      answered = await open(actors.seller);
      await s.engine.service.execute('AddDisputeEvidence', answered.escrowId, actors.buyer, {
        disputeId: answered.disputeId,
        statement: 'I paid and got nothing',
      });
    });
    after(() => s.close());

    it('lists the open disputes, next deadline first; nothing overdue yet', async () => {
      const res = await get();
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.data.map((d) => [d.disputeId, d.responded, d.overdue]),
        [
          [silent.disputeId, false, []],
          [answered.disputeId, true, []],
        ],
      );
      const [first] = res.body.data;
      assert.equal(first!.escrowId, silent.escrowId);
      assert.equal(Date.parse(first!.respondBy) - Date.parse(first!.createdAt), 3 * DAY, 'DISPUTE_RESPOND_DAYS');
      assert.equal(Date.parse(first!.slaDueAt) - Date.parse(first!.createdAt), 7 * DAY, 'DISPUTE_SLA_DAYS');
      assert.equal(first!.nextDeadline, first!.respondBy);
      assert.equal(res.body.data[1]!.nextDeadline, res.body.data[1]!.slaDueAt, 'answered: the SLA is next');
      assert.deepEqual(res.body.overdueCounts, { response: 0, sla: 0 });
      assert.deepEqual((await get('?overdue=true')).body, { data: [], overdueCounts: { response: 0, sla: 0 } });
    });

    it('?overdue=true once a deadline passed; the counts ignore the filter and the limit', async () => {
      s.clock.advance(3 * DAY + 120_000);
      const late = await get('?overdue=true');
      assert.equal(late.status, 200, late.text);
      assert.deepEqual(
        late.body.data.map((d) => [d.disputeId, d.overdue]),
        [[silent.disputeId, ['RESPONSE']]],
      );
      assert.deepEqual(late.body.overdueCounts, { response: 1, sla: 0 });

      s.clock.advance(4 * DAY);
      const both = await get('?overdue=true&limit=1');
      assert.deepEqual(
        both.body.data.map((d) => [d.disputeId, d.overdue]),
        [[silent.disputeId, ['RESPONSE', 'SLA']]],
      );
      assert.deepEqual(both.body.overdueCounts, { response: 1, sla: 2 });
      assert.equal((await get('?overdue=false')).body.data.length, 2);
    });

    it('a resolved dispute leaves the queue', async () => {
      await s.engine.service.execute('StartDisputeReview', silent.escrowId, actors.admin, {
        disputeId: silent.disputeId,
      });
      const inReview = await get();
      assert.equal(inReview.body.data[0]!.status, 'IN_REVIEW');
      assert.equal(inReview.body.data[0]!.reviewerId, actors.admin.id);
      await s.engine.service.execute('ResolveDispute', silent.escrowId, actors.admin, {
        disputeId: silent.disputeId,
        resolution: 'REFUND',
        reason: 'the seller never answered',
      });
      const res = await get();
      assert.deepEqual(
        res.body.data.map((d) => d.disputeId),
        [answered.disputeId],
      );
      assert.deepEqual(res.body.overdueCounts, { response: 0, sla: 1 });
    });

    it('bad queries are problems naming the field; only admins may read it; nothing is written', async () => {
      const before = await tableCounts(s.engine.db);
      for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?overdue=yes', '?sort=age']) {
        const res = await get(query);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const limit = await get('?limit=101');
      assert.deepEqual((limit.body as unknown as { errors: unknown[] }).errors, [
        { field: 'limit', message: 'must be 1-100' },
      ]);
      const user = await s.token('buyer-1', 'user');
      assert.equal((await s.call('GET', '/api/admin/disputes', { token: user })).status, 403);
      assert.equal((await s.call('GET', '/api/admin/disputes')).status, 401);
      assert.deepEqual(await tableCounts(s.engine.db), before);
    });
  });
}
