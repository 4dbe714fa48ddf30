import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RebuildReport, RetryResult } from '../src/app/escrowRebuild.js';
import type { EscrowTimeline, QueueReport, StuckReport } from '../src/app/operatorViews.js';
import type { SettlementEntry } from '../src/app/ports/operatorQueries.js';
import { actors, assertDatabaseVerifies, deliveredEscrow, engineKinds, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The operator's admin routes (SPEC §8) on PGlite and PostgreSQL: escrows made stuck by moving the test clock past
// their deadlines (no backdated row: verify stays clean), a drift made with raw SQL and repaired, a FAILED payout
// retried, dry runs compared with the database before and after, the audit rows of every change.

const DAY = 86_400_000;

for (const kind of engineKinds()) {
  describe(`operator admin routes on ${kind}`, () => {
    let s: TestServer;
    let admin: string;
    let user: string;
    const ids = { delivered: '', failed: '', settlement: '' };
    const get = <T>(path: string, token = admin) => s.call<T>('GET', path, { token });
    const post = <T>(path: string, body: unknown, token = admin) => s.call<T>('POST', path, { token, body });
    const snapshot = async (escrowId: string) => {
      const { rows } = await s.testDb.db.query(
        'SELECT e.*, (SELECT json_agg(x) FROM settlements x WHERE x.escrow_id = e.id) AS s FROM escrows e WHERE e.id = $1',
        [escrowId],
      );
      return { counts: await tableCounts(s.testDb.db), row: JSON.stringify(rows[0]) };
    };
    const audits = async (action: string) =>
      (
        await s.testDb.db.query<{ actor_id: string; details: Record<string, unknown> }>(
          'SELECT actor_id, details FROM audit_logs WHERE action = $1 ORDER BY id',
          [action],
        )
      ).rows;

    before(async () => {
      s = await testServer(kind, { ESCROW_MAX_RETRIES: '1' });
      admin = await s.token(actors.admin.id, 'admin');
      user = await s.token(actors.buyer.id, 'user');
      ids.delivered = await deliveredEscrow(s.engine, { amount: '70000' });
      s.clock.advance(8 * DAY); // a day past its confirmation deadline (7 days)
      ids.failed = await deliveredEscrow(s.engine, { amount: '30015' });
      await s.engine.service.execute('ConfirmDelivery', ids.failed, actors.buyer, {});
      await s.engine.settlementWorker.runOnce();
      ids.settlement = (await s.engine.readModel.getEscrow(ids.failed))!.settlements[0]!.id;
    });
    after(() => s.close());

    it('GET /api/admin/escrows/stuck: oldest first with reasons and ages; filters; admins only; bad input 400', async () => {
      const res = await get<StuckReport>('/api/admin/escrows/stuck');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(
        res.body.data.map((x) => [x.escrowId, x.reasons, x.amount]),
        [
          [ids.delivered, ['CONFIRMATION_DEADLINE_PASSED'], '70000'],
          [ids.failed, ['SETTLEMENT_FAILED'], '30015'],
        ],
      );
      assert.equal(res.body.data[0]!.ageSeconds, 86400);
      const only = async (q: string) =>
        (await get<StuckReport>(`/api/admin/escrows/stuck?${q}`)).body.data.map((x) => x.escrowId);
      assert.deepEqual(await only('minAmount=50000'), [ids.delivered]);
      assert.deepEqual(await only('olderThanHours=12'), [ids.delivered]);
      assert.deepEqual(await only('highValue=true'), []);
      assert.deepEqual(await only('currency=EUR'), []);
      assert.equal((await get('/api/admin/escrows/stuck?limit=0')).status, 400);
      const bad = await get<{ code: string }>('/api/admin/escrows/stuck?minAmount=1.5');
      assert.deepEqual([bad.status, bad.body.code], [400, 'VALIDATION_ERROR']);
      assert.equal((await get('/api/admin/escrows/stuck', user)).status, 403);
      assert.equal((await s.call('GET', '/api/admin/escrows/stuck')).status, 401);
    });

    it('GET /api/admin/escrows/{id}/timeline: grouped history, webhooks as metadata; 404 problem otherwise', async () => {
      const res = await get<EscrowTimeline>(`/api/admin/escrows/${ids.failed}/timeline`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.escrow.id, ids.failed);
      assert.equal(res.body.escrow.amount, '30015');
      assert.equal(res.body.events[0]!.type, 'EscrowCreated');
      assert.deepEqual(
        res.body.settlements.map((x) => [x.settlementId, x.status, x.attempts]),
        [[ids.settlement, 'FAILED', 1]],
      );
      assert.deepEqual(Object.keys(res.body.webhooks[0]!).sort(), [
        ...['attempts', 'eventId', 'eventType', 'lastError', 'outcome', 'processedAt', 'provider', 'receivedAt'],
      ]);
      assert.equal(res.body.outbox.length, res.body.events.length);
      assert.ok(
        res.body.outbox.every((o) => o.publishedAt === null),
        'no outbox role here',
      );
      for (const id of [randomUUID(), 'not-an-id']) {
        const missing = await get<{ code: string }>(`/api/admin/escrows/${id}/timeline`);
        assert.deepEqual([missing.status, missing.body.code], [404, 'ESCROW_NOT_FOUND']);
        assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
    });

    it('POST /api/admin/escrows/{id}/rebuild: the dry run shows the drift and changes nothing; the rebuild repairs it', async () => {
      await s.testDb.db.query(`UPDATE escrows SET flagged_for_review = true, metadata = '{"x": 1}' WHERE id = $1`, [
        ids.failed,
      ]);
      assert.equal((await s.engine.verify()).violations.length, 1);
      const before = await snapshot(ids.failed);
      const dry = await post<RebuildReport>(`/api/admin/escrows/${ids.failed}/rebuild`, { dryRun: true });
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual(
        dry.body.differences.map((d) => [d.field, d.row, d.events]),
        [
          ['flaggedForReview', true, false],
          ['metadata', { x: 1 }, {}],
        ],
      );
      assert.deepEqual(await snapshot(ids.failed), before, 'the dry run wrote nothing');
      const noReason = await post<{ code: string }>(`/api/admin/escrows/${ids.failed}/rebuild`, {});
      assert.deepEqual([noReason.status, noReason.body.code], [400, 'VALIDATION_ERROR']);
      assert.deepEqual(await snapshot(ids.failed), before, 'the refused rebuild wrote nothing');

      const fixed = await post<RebuildReport>(`/api/admin/escrows/${ids.failed}/rebuild`, { reason: 'INC-31 UPDATE' });
      assert.deepEqual([fixed.status, fixed.body.repaired, fixed.body.drifted], [200, true, true]);
      await assertDatabaseVerifies(s.engine);
      const rows = await audits('escrow.rebuild');
      assert.deepEqual(
        rows.map((r) => [r.actor_id, r.details.reason, r.details.fields]),
        [[actors.admin.id, 'INC-31 UPDATE', ['flaggedForReview', 'metadata']]],
      );
      const clean = await post<RebuildReport>(`/api/admin/escrows/${ids.failed}/rebuild`, { reason: 'again' });
      assert.deepEqual([clean.body.drifted, clean.body.repaired], [false, false]);
      assert.equal((await audits('escrow.rebuild')).length, 1, 'no drift: no change, no audit row');
      assert.equal((await post(`/api/admin/escrows/${randomUUID()}/rebuild`, { dryRun: true })).status, 404);
      assert.equal((await post(`/api/admin/escrows/${ids.failed}/rebuild`, { dryRun: true }, user)).status, 403);
    });

    it('GET /api/admin/settlements and the retry: dry runs change nothing, the retry is audited', async () => {
      const failed = await get<{ data: SettlementEntry[] }>('/api/admin/settlements?status=FAILED');
      assert.equal(failed.status, 200, failed.text);
      assert.deepEqual(
        failed.body.data.map((x) => [x.settlementId, x.escrowId, x.rail, x.amount, x.attempts]),
        [[ids.settlement, ids.failed, 'SANDBOX', '30015', 1]],
      );
      assert.match(failed.body.data[0]!.lastError ?? failed.body.data[0]!.failureReason ?? '', /magic amount/);
      assert.equal((await get('/api/admin/settlements?status=LOST')).status, 400);

      const before = await snapshot(ids.failed);
      const path = `/api/admin/settlements/${ids.settlement}/retry`;
      const dry = await post<RetryResult>(path, { reason: 'INC-12', dryRun: true });
      assert.deepEqual([dry.status, dry.body.events.map((e) => e.type)], [200, ['SettlementRetried']]);
      const dryAll = await post<{ results: RetryResult[] }>('/api/admin/settlements/retry-failed', {
        reason: 'INC-12',
        dryRun: true,
      });
      assert.deepEqual(
        dryAll.body.results.map((r) => [r.settlementId, r.dryRun]),
        [[ids.settlement, true]],
      );
      assert.deepEqual(await snapshot(ids.failed), before, 'the dry runs wrote nothing');
      assert.equal((await post(path, {})).status, 400, 'a reason is required');

      const done = await post<RetryResult>(path, { reason: 'INC-12 account fixed' });
      assert.deepEqual([done.status, done.body.status], [200, 'PENDING']);
      const again = await post<{ code: string }>(path, { reason: 'twice' });
      assert.deepEqual([again.status, again.body.code], [409, 'INVALID_STATE_TRANSITION']);
      const unknown = await post<{ code: string }>(`/api/admin/settlements/${randomUUID()}/retry`, { reason: 'x' });
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'SETTLEMENT_NOT_FOUND']);
      assert.deepEqual(
        (await audits('settlements.retry')).map((r) => [r.actor_id, r.details.reason, r.details.settlementId]),
        [
          [actors.admin.id, 'INC-12 account fixed', ids.settlement],
          // every attempt is audited with its reason before it runs, the refused second one too
          [actors.admin.id, 'twice', ids.settlement],
        ],
      );
      const events = await s.engine.readModel.events(ids.failed);
      assert.equal(events.at(-1)!.type, 'SettlementRetried');
      assert.equal(events.at(-1)!.actor.id, actors.admin.id);
      await assertDatabaseVerifies(s.engine);
    });

    it('GET /api/admin/queues/stats: a deadline a day overdue is a PROBLEM; once the timeouts ran, healthy', async () => {
      const late = await get<QueueReport>('/api/admin/queues/stats');
      assert.equal(late.status, 200, late.text);
      const line = (r: QueueReport, metric: string) => r.lines.find((l) => l.metric === metric)!;
      assert.equal(late.body.healthy, false);
      assert.deepEqual(
        [line(late.body, 'confirmation_due').value, line(late.body, 'oldest_due_age_seconds').status],
        [1, 'PROBLEM'],
      );
      assert.equal(line(late.body, 'pending').value, 1, 'the retried payout');
      assert.ok(line(late.body, 'unpublished').value > 0, 'no outbox role: events wait');
      await s.engine.timeouts.runOnce({ dryRun: false });
      const ok = await get<QueueReport>('/api/admin/queues/stats');
      assert.equal(ok.body.healthy, true, JSON.stringify(ok.body.lines.filter((l) => l.status !== 'OK')));
      assert.equal(line(ok.body, 'pending').value, 2, 'the auto-released payout joined it');
      assert.equal((await get('/api/admin/queues/stats', user)).status, 403);
      await assertDatabaseVerifies(s.engine);
    });
  });
}
