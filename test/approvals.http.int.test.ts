import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../src/app/ports/approvalStore.js';
import { assertDatabaseVerifies, engineKinds, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// Dual control (issue 13, seed 003: the treasury is 2-of-3): an admin's release, refund or resolution above
// ADMIN_APPROVAL_THRESHOLD answers 202 with a proposal; a second, different admin approves it (applied once however
// often approved), rejects it, or it expires. Over HTTP on PGlite and PostgreSQL.

interface Body {
  status?: string;
  code?: string;
  approval?: Approval;
  escrow?: { status: string };
  replayed?: boolean;
  items?: Approval[];
}

for (const kind of engineKinds()) {
  describe(`dual control over HTTP on ${kind}`, () => {
    let s: TestServer;
    const tokens: Record<string, string> = {};
    before(async () => {
      s = await testServer(kind, { ADMIN_APPROVAL_THRESHOLD: 'USD:50000', ADMIN_APPROVAL_TTL_HOURS: '24' });
      for (const who of ['alice', 'bob', 'carol']) tokens[who] = await s.token(`ops-${who}`, 'admin');
      tokens.buyer = await s.token('buyer-1', 'user');
      tokens.seller = await s.token('seller-1', 'user');
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    let offers = 0;
    const delivered = async (amount: string) => {
      const body = { offerId: `offer-dc-${++offers}`, buyerId: 'buyer-1', sellerId: 'seller-1', amount };
      const r = await s.call<{ id: string }>('POST', '/api/escrow', {
        token: tokens.buyer,
        body: { ...body, rail: 'SANDBOX', currency: 'USD' },
      });
      assert.equal(r.status, 201, r.text);
      await s.engine.simulator.pay(r.body.id);
      const d = await s.call('POST', `/api/escrow/${r.body.id}/mark-delivered`, {
        token: tokens.seller,
        body: { title: 'the goods' },
      });
      assert.equal(d.status, 200, d.text);
      return r.body.id;
    };
    const post = (path: string, who: string, body: unknown) => s.call<Body>('POST', path, { token: tokens[who], body });
    const decide = (id: string, who: string, what: 'approve' | 'reject', extra: object = {}) =>
      post(`/api/admin/approvals/${id}/${what}`, who, { reason: `${who} checked`, ...extra });
    const escrowStatus = async (id: string) => (await s.engine.readModel.getEscrow(id))!.status;
    const audits = async (action: string) =>
      (await s.testDb.db.query(`SELECT actor_id, details FROM audit_logs WHERE action = $1`, [action])).rows as {
        actor_id: string;
        details: Record<string, unknown>;
      }[];
    const counts = async () => {
      const { rows } = await s.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_approvals');
      return { ...(await tableCounts(s.testDb.db)), approvals: rows[0]!.n };
    };
    const released = async (id: string) =>
      (await s.engine.readModel.events(id)).filter((e) => e.type === 'EscrowReleased').length;

    it('one admin alone cannot release a large escrow; the proposer cannot approve; a second admin does', async () => {
      const id = await delivered('100000');
      const proposed = await post(`/api/escrow/${id}/release`, 'alice', { reason: 'verified delivery' });
      assert.equal(proposed.status, 202, proposed.text);
      assert.equal(proposed.body.status, 'PENDING_APPROVAL');
      const approval = proposed.body.approval!;
      assert.equal(approval.amount, '100000');
      assert.equal(approval.proposedBy, 'ops-alice');
      assert.equal(await escrowStatus(id), 'DELIVERED');

      const self = await decide(approval.id, 'alice', 'approve');
      assert.equal(self.status, 403, self.text);
      assert.equal(self.body.code, 'SELF_APPROVAL');

      const before = await counts();
      const dry = await decide(approval.id, 'bob', 'approve', { dryRun: true });
      assert.equal(dry.status, 200, dry.text);
      assert.equal(dry.body.approval!.status, 'APPROVED');
      assert.deepEqual(await counts(), before, 'the dry run wrote nothing');
      assert.equal(await escrowStatus(id), 'DELIVERED');

      const ok = await decide(approval.id, 'bob', 'approve');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.approval!.status, 'APPROVED');
      assert.equal(ok.body.approval!.decidedBy, 'ops-bob');
      assert.equal(await escrowStatus(id), 'RELEASED');
      const settlements = await s.testDb.db.query('SELECT 1 FROM settlements WHERE escrow_id = $1', [id]);
      assert.equal(settlements.rows.length, 1, 'settlement queued');
      assert.equal((await audits('approval.proposed')).filter((a) => a.details.approvalId === approval.id).length, 1);
      const approvedRow = (await audits('approval.approved')).find((a) => a.details.approvalId === approval.id)!;
      assert.equal(approvedRow.actor_id, 'ops-bob');
      assert.equal(approvedRow.details.proposedBy, 'ops-alice');
      const effect = (await audits('ReleaseEscrow')).filter((a) => a.details.correlationId === approval.id);
      assert.deepEqual(
        effect.map((a) => a.actor_id),
        ['ops-bob'],
      );

      const again = await decide(approval.id, 'carol', 'approve');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.replayed, true);
      assert.equal(await released(id), 1, 'applied once');
    });

    it('concurrent approvals apply the command once', async () => {
      const id = await delivered('90000');
      const { approval } = (await post(`/api/escrow/${id}/release`, 'alice', { reason: 'ok' })).body;
      const answers = await Promise.all([
        decide(approval!.id, 'bob', 'approve'),
        decide(approval!.id, 'carol', 'approve'),
      ]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [200, 200],
        answers.map((a) => a.text).join('\n'),
      );
      assert.equal(await released(id), 1);
      assert.equal(await escrowStatus(id), 'RELEASED');
    });

    it('reject, expiry, a refusal at approval time (FAILED), and below the threshold at once', async () => {
      const id = await delivered('80000');
      const first = (await post(`/api/escrow/${id}/refund`, 'alice', { reason: 'not delivered' })).body.approval!;
      const before = await counts();
      assert.equal((await decide(first.id, 'bob', 'reject', { dryRun: true })).body.approval!.status, 'REJECTED');
      assert.deepEqual(await counts(), before);
      const rejected = await decide(first.id, 'bob', 'reject');
      assert.equal(rejected.body.approval!.status, 'REJECTED');
      assert.equal((await audits('approval.rejected')).length, 1);
      const late = await decide(first.id, 'carol', 'approve');
      assert.equal(late.status, 409, late.text);
      assert.equal(late.body.code, 'APPROVAL_ALREADY_DECIDED');

      const release = (await post(`/api/escrow/${id}/release`, 'alice', { reason: 'r' })).body.approval!;
      const refund = (await post(`/api/escrow/${id}/refund`, 'bob', { reason: 'refund it' })).body.approval!;
      assert.equal((await decide(refund.id, 'carol', 'approve')).status, 200);
      const failed = await decide(release.id, 'bob', 'approve');
      assert.equal(failed.status, 409, failed.text);
      assert.equal(failed.body.code, 'INVALID_STATE_TRANSITION');
      const list = await s.call<Body>('GET', '/api/admin/approvals?status=FAILED', { token: tokens.bob });
      assert.deepEqual(
        list.body.items!.map((a) => a.id),
        [release.id],
      );

      const other = await delivered('70000');
      const expiring = (await post(`/api/escrow/${other}/release`, 'alice', { reason: 'r' })).body.approval!;
      s.clock.advance(25 * 3_600_000);
      const expired = await s.call<Body>('GET', '/api/admin/approvals?status=EXPIRED', { token: tokens.bob });
      assert.deepEqual(
        expired.body.items!.map((a) => a.id),
        [expiring.id],
      );
      const tooLate = await decide(expiring.id, 'bob', 'approve');
      assert.equal(tooLate.status, 409, tooLate.text);
      assert.equal(tooLate.body.code, 'APPROVAL_EXPIRED');
      assert.equal((await audits('approval.expired')).length, 1);
      assert.equal(await escrowStatus(other), 'DELIVERED');

      const small = await delivered('40000');
      const direct = await post(`/api/escrow/${small}/refund`, 'alice', { reason: 'in full, at once' });
      assert.equal(direct.status, 200, direct.text);
      assert.equal(await escrowStatus(small), 'REFUNDED');
      // a partial refund is final (the buyer gets 1, the seller the rest): what leaves holding is all of it
      const partial = await post(`/api/escrow/${other}/refund`, 'alice', { refundAmount: '1', reason: 'part' });
      assert.equal(partial.status, 202, partial.text);
      assert.equal(partial.body.approval!.amount, '70000');
      assert.equal(await escrowStatus(other), 'DELIVERED');
    });

    it("a milestone's release is held; a claimed (APPROVING) proposal cannot be rejected and is finished once", async () => {
      const r = await s.call<{ id: string }>('POST', '/api/escrow', {
        token: tokens.buyer,
        body: {
          ...{ offerId: `offer-dc-${++offers}`, buyerId: 'buyer-1', sellerId: 'seller-1', amount: '100000' },
          ...{ rail: 'SANDBOX', currency: 'USD' },
        },
      });
      assert.equal(r.status, 201, r.text);
      const id = r.body.id;
      const parts = {
        milestones: [
          { title: 'Design', amount: '60000' },
          { title: 'Build', amount: '40000' },
        ],
      };
      const defined = await post(`/api/escrow/${id}/milestones`, 'buyer', parts);
      assert.equal(defined.status, 200, defined.text);
      await s.engine.simulator.pay(id);
      const escrow = (await s.engine.readModel.getEscrow(id))!;
      const [big, small] = escrow.milestones;
      const held = await post(`/api/escrow/${id}/milestones/${big!.id}/release`, 'alice', { reason: 'looks done' });
      assert.equal(held.status, 202, held.text);
      assert.deepEqual([held.body.approval!.commandType, held.body.approval!.amount], ['ReleaseMilestone', '60000']);
      const direct = await post(`/api/escrow/${id}/milestones/${small!.id}/release`, 'alice', { reason: 'small' });
      assert.equal(direct.status, 200, direct.text);

      // an approval claimed it and died before finishing (as after a crash): a reject can no longer land
      const approval = held.body.approval!;
      await s.testDb.db.query(`UPDATE admin_approvals SET status = 'APPROVING', decided_by = 'ops-bob' WHERE id = $1`, [
        approval.id,
      ]);
      const withdraw = await decide(approval.id, 'alice', 'reject');
      assert.equal(withdraw.status, 409, withdraw.text);
      assert.equal(withdraw.body.code, 'APPROVAL_ALREADY_DECIDED');
      const finished = await decide(approval.id, 'carol', 'approve');
      assert.equal(finished.status, 200, finished.text);
      assert.equal(finished.body.approval!.status, 'APPROVED');
      const again = await decide(approval.id, 'bob', 'approve');
      assert.equal(again.body.replayed, true);
      const events = (await s.engine.readModel.events(id)).filter((e) => e.type === 'MilestoneReleased');
      assert.equal(events.length, 2, 'each milestone released once');
      assert.equal(await escrowStatus(id), 'RELEASED');
    });
  });
}
