import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDatabaseVerifies, engineKinds } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// POST /api/admin/outbox/{id}/skip and the suspense routes' dryRun (issue 10 §5), the admin routes `escrow outbox
// skip` and `escrow suspense refund|apply --dry-run` go through while the embedded server holds the data directory;
// and the replay dry run's count agreeing with the replay once rows were skipped (migration 007).

interface Problem {
  code?: string;
  detail?: string;
  errors?: { field: string }[];
}

for (const kind of engineKinds()) {
  describe(`operator actions over HTTP on ${kind}: outbox skip, suspense dry runs`, () => {
    let s: TestServer;
    let admin: string;
    let buyer: string;
    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
      buyer = await s.token('buyer-1', 'user');
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    let offers = 0;
    const create = async (amount = '10000') => {
      const body = { offerId: `offer-ops-${++offers}`, buyerId: 'buyer-1', sellerId: 'seller-1', amount };
      const r = await s.call<{ id: string }>('POST', '/api/escrow', {
        token: buyer,
        body: { ...body, rail: 'SANDBOX', currency: 'USD' },
      });
      assert.equal(r.status, 201, r.text);
      return r.body.id;
    };
    /** Marks the escrow's EscrowCreated row dead-lettered (a consumer refused it OUTBOX_MAX_ATTEMPTS times). */
    const deadLetter = async (escrowId: string) => {
      const { rows } = await s.testDb.db.query<{ id: string }>(
        `UPDATE outbox SET published_at = NULL, dead_lettered_at = now(), attempts = 10, last_error = 'rejected'
          WHERE escrow_id = $1::uuid RETURNING id::text AS id`,
        [escrowId],
      );
      return rows[0]!.id;
    };
    const skip = (id: string, body: unknown, token = admin) =>
      s.call<Record<string, unknown> & Problem>('POST', `/api/admin/outbox/${id}/skip`, { token, body });
    const audits = async (action: string) =>
      (await s.testDb.db.query(`SELECT 1 FROM audit_logs WHERE action = $1`, [action])).rows.length;
    const outboxRow = async (id: string) =>
      (
        await s.testDb.db.query<{ dead: boolean; skipped: boolean }>(
          `SELECT dead_lettered_at IS NOT NULL AS dead, skipped_at IS NOT NULL AS skipped FROM outbox WHERE id = $1`,
          [id],
        )
      ).rows[0]!;

    it('outbox skip: admin only, reason required, 404 for what is not a dead letter; a dry run changes nothing', async () => {
      const escrowId = await create();
      const id = await deadLetter(escrowId);
      assert.equal((await skip(id, { reason: 'mine' }, buyer)).status, 403);
      const noReason = await skip(id, { dryRun: true });
      assert.equal(noReason.status, 400, JSON.stringify(noReason.body));
      assert.deepEqual(
        noReason.body.errors?.map((e) => e.field),
        ['reason'],
      );
      for (const [unknownId, dryRun] of [
        ['987654321', true],
        ['987654321', false],
        ['4x', false],
      ] as const) {
        const unknown = await skip(unknownId, { reason: 'x', dryRun });
        assert.equal(unknown.status, 404, unknown.text);
        assert.equal(unknown.body.code, 'DEAD_LETTER_NOT_FOUND');
        assert.match(
          unknown.body.detail ?? '',
          new RegExp(`outbox row ${unknownId} is not a dead letter \\(escrow outbox dlq`),
        );
        assert.equal(unknown.headers.get('content-type')?.startsWith('application/problem+json'), true);
      }
      const dry = await skip(id, { reason: 'consumer rejects it', dryRun: true });
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual(dry.body, { id, skipped: true, dryRun: true });
      assert.deepEqual(await outboxRow(id), { dead: true, skipped: false }, 'a dry run changes nothing');
      assert.equal(await audits('outbox.skip'), 0, 'and audits nothing');

      const done = await skip(id, { reason: 'consumer rejects it' });
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.escrowId, escrowId);
      assert.equal(typeof done.body.eventId, 'string');
      assert.deepEqual(await outboxRow(id), { dead: false, skipped: true });
      assert.equal(await audits('outbox.skip'), 1);
      assert.equal((await skip(id, { reason: 'again' })).status, 404, 'skipped once: no longer a dead letter');
    });

    it("replay's dry run counts what the replay queues: a skipped row is never a dead letter to replay", async () => {
      const id = await deadLetter(await create());
      const other = await create();
      const alsoDead = await deadLetter(other);
      assert.equal((await skip(id, { reason: 'given up' })).status, 200);
      const by = { actor: { id: 'ops-admin', role: 'admin' }, reason: 'test' };
      const ops = s.engine.operations;
      assert.deepEqual(await ops.replayOutbox({ ids: [id] }, by, true), { queued: 0, dryRun: true });
      assert.deepEqual(await ops.replayOutbox({ ids: [id] }, by), { queued: 0 }, 'the skipped row is not replayed');
      assert.deepEqual(await ops.replayOutbox({ allDead: true }, by, true), { queued: 1, dryRun: true });
      assert.deepEqual(await ops.replayOutbox({ allDead: true }, by), { queued: 1 });
      assert.deepEqual(await outboxRow(alsoDead), { dead: false, skipped: false });
      assert.deepEqual(await outboxRow(id), { dead: false, skipped: true }, 'the skipped one stays skipped');
    });

    it('suspense refund and apply with dryRun answer the events they would record and change nothing', async () => {
      const id = await create('3000');
      await s.engine.simulator.pay(id, { amount: '1000' });
      await s.engine.simulator.pay(id, { amount: '2000' });
      const list = await s.call<{ data: { id: string }[] }>('GET', `/api/admin/suspense?escrowId=${id}`, {
        token: admin,
      });
      const [a, b] = list.body.data;
      assert.ok(a && b);
      const post = (path: string, body: unknown, token = admin) =>
        s.call<{ dryRun?: boolean; escrowId?: string; events?: { type: string }[] } & Problem>('POST', path, {
          token,
          body,
        });
      assert.equal(
        (await post(`/api/admin/suspense/${a.id}/refund`, { reason: 'x', dryRun: true }, buyer)).status,
        403,
      );
      const noReason = await post(`/api/admin/suspense/${a.id}/refund`, { dryRun: true });
      assert.equal(noReason.status, 400);
      assert.match(noReason.text, /reason/);
      const unknown = await post('/api/admin/suspense/0190f0c8-0000-7000-8000-00000000dead/refund', {
        reason: 'x',
        dryRun: true,
      });
      assert.equal(unknown.status, 404);

      const refund = await post(`/api/admin/suspense/${a.id}/refund`, { reason: 'wrong amount', dryRun: true });
      assert.equal(refund.status, 200, refund.text);
      assert.equal(refund.body.dryRun, true);
      assert.equal(refund.body.escrowId, id);
      assert.deepEqual(
        refund.body.events?.map((e) => e.type),
        ['SuspenseRefunded'],
      );
      const apply = await post(`/api/admin/suspense/${a.id}/apply`, {
        reason: 'topped up',
        alsoApply: [b.id],
        dryRun: true,
      });
      assert.equal(apply.status, 200, apply.text);
      assert.ok(
        apply.body.events?.some((e) => e.type === 'SuspenseApplied'),
        apply.text,
      );
      const refused = await post(`/api/admin/suspense/${a.id}/apply`, { reason: 'one part', dryRun: true });
      assert.equal(refused.status, 400, 'a dry run is refused as the command would be');

      const after = await s.call<{ status: string; version: number; suspense: { status: string }[] }>(
        'GET',
        `/api/escrow/${id}`,
        { token: admin },
      );
      assert.equal(after.body.status, 'AWAIT_FUNDS');
      assert.deepEqual(
        after.body.suspense.map((x) => x.status),
        ['OPEN', 'OPEN'],
        'nothing changed',
      );
      const events = await s.testDb.db.query(
        `SELECT 1 FROM escrow_events WHERE escrow_id = $1 AND type LIKE 'Suspense%ed' AND type <> 'SuspenseBooked'`,
        [id],
      );
      assert.equal(events.rows.length, 0);
    });
  });
}
