import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApprovalRequired } from '../src/app/approvals.js';
import type { Database } from '../src/adapters/db/database.js';
import type { Engine } from '../src/main.js';
import { dataDirCli } from './dataDirCli.js';
import { actors, assertDatabaseVerifies, escrowInput, tableCounts } from './harness.js';

// `escrow release|refund|resolve|cancel|confirm-payment` and `escrow approvals list|approve|reject` on an embedded
// data directory: a mandatory --reason, dry runs that change nothing (the database before and after), dual control
// (the CLI's admin is the OS user: it cannot approve its own proposal; another admin's it can).

async function counts(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM admin_approvals');
  return { ...(await tableCounts(db)), approvals: rows[0]!.n };
}

describe('escrow admin actions and approvals on an embedded data directory', () => {
  let tmp: string;
  let env: Record<string, string>;
  const { cli, withEngine } = dataDirCli(() => env);
  const dbCounts = () => withEngine((e) => counts(e.db));
  const status = (id: string) => withEngine(async (e) => (await e.readModel.getEscrow(id))!.status);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-approvals-'));
    env = { DATA_DIR: join(tmp, 'data'), ADMIN_APPROVAL_THRESHOLD: 'USD:50000' };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const escrow = (amount: string, step: 'unpaid' | 'delivered' | 'disputed') =>
    withEngine(async (e: Engine) => {
      const { escrow: created } = await e.service.create(actors.buyer, escrowInput({ amount }));
      if (step === 'unpaid') return { id: created.id, owed: created.amount + created.buyerFee, disputeId: '' };
      await e.simulator.pay(created.id);
      await e.service.execute('MarkDelivered', created.id, actors.seller, { title: 'goods' });
      if (step === 'delivered') return { id: created.id, owed: 0n, disputeId: '' };
      const d = await e.service.execute('OpenDispute', created.id, actors.buyer, { reason: 'not as described' });
      return { id: created.id, owed: 0n, disputeId: d.escrow.disputes[0]!.id };
    });

  it('release above the threshold: a dry run says it needs approval; the CLI admin cannot approve its own', async () => {
    const { id } = await escrow('100000', 'delivered');
    const noReason = await cli('release', id);
    assert.equal(noReason.code, 2, noReason.err);
    assert.match(noReason.err, /--reason/);

    const before = await dbCounts();
    const dry = await cli('release', id, '--reason', 'verified', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const preview = JSON.parse(dry.out) as { events: { type: string }[]; approval: { required: boolean } };
    assert.deepEqual(
      preview.events.map((e) => e.type),
      ['EscrowReleased'],
    );
    assert.equal(preview.approval.required, true);
    assert.match((await cli('release', id, '--reason', 'verified', '--dry-run')).out, /needs approval: yes/);
    assert.deepEqual(await dbCounts(), before, 'the dry runs wrote nothing');

    const held = await cli('release', id, '--reason', 'verified delivery');
    assert.equal(held.code, 0, held.err);
    const approvalId = /is proposal (\S+)/.exec(held.out)?.[1];
    assert.ok(approvalId, held.out);
    assert.equal(await status(id), 'DELIVERED');
    const list = JSON.parse((await cli('approvals', 'list', '--status', 'PENDING', '--json')).out) as {
      items: { id: string; proposedBy: string }[];
    };
    assert.deepEqual(
      list.items.map((a) => a.id),
      [approvalId],
    );
    assert.match(list.items[0]!.proposedBy, /^cli:/);
    const self = await cli('approvals', 'approve', approvalId, '--reason', 'me again');
    assert.equal(self.code, 1);
    assert.match(self.err, /^SELF_APPROVAL: /);
    const withdrawn = await cli('approvals', 'reject', approvalId, '--reason', 'withdrawn', '--json');
    assert.equal(withdrawn.code, 0, withdrawn.err);
    assert.equal((JSON.parse(withdrawn.out) as { approval: { status: string } }).approval.status, 'REJECTED');
    assert.equal(await status(id), 'DELIVERED');
  });

  it("approves another admin's proposal (dry run first); below the threshold the CLI applies at once", async () => {
    const { id } = await escrow('100000', 'delivered');
    const approvalId = await withEngine(async (e) => {
      const err = await e.service
        .execute('RefundEscrow', id, { id: 'ops-alice', role: 'admin' }, { reason: 'never arrived' })
        .catch((x: unknown) => x);
      assert.ok(err instanceof ApprovalRequired);
      return err.approval.id;
    });
    assert.equal((await cli('approvals', 'approve', approvalId)).code, 2, 'no --reason');
    const before = await dbCounts();
    const dry = await cli('approvals', 'approve', approvalId, '--reason', 'checked', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^dry run, nothing changed: would be APPROVED/);
    assert.match(dry.out, /would record: EscrowRefunded/);
    assert.deepEqual(await dbCounts(), before);
    const ok = await cli('approvals', 'approve', approvalId, '--reason', 'checked the ticket');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /is REFUNDED/);
    assert.equal(await status(id), 'REFUNDED');

    const small = await escrow('40000', 'delivered');
    const partial = await cli('refund', small.id, '--amount', '1000', '--reason', 'one item missing', '--json');
    assert.equal(partial.code, 0, partial.err);
    assert.equal((JSON.parse(partial.out) as { status: string }).status, 'APPLIED');
    assert.equal((await cli('refund', small.id, '--amount', '1.5', '--reason', 'x')).code, 2);
  });

  it('resolve, cancel and confirm-payment: usage errors, dry runs, then applied', async () => {
    const disputed = await escrow('30000', 'disputed');
    const resolveArgs = ['resolve', disputed.id, '--dispute', disputed.disputeId];
    assert.equal((await cli(...resolveArgs, '--resolution', 'SPLIT', '--reason', 'half')).code, 2);
    const before = await dbCounts();
    const dry = await cli(...resolveArgs, '--resolution', 'RELEASE', '--reason', 'delivered', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /would record DisputeResolved, EscrowReleased\nneeds approval: no/);
    assert.deepEqual(await dbCounts(), before);
    const resolved = await cli(...resolveArgs, '--resolution', 'RELEASE', '--reason', 'delivered as agreed');
    assert.equal(resolved.code, 0, resolved.err);
    assert.match(resolved.out, /^resolve: escrow \S+ is now RELEASED/);

    const unpaid = await escrow('20000', 'unpaid');
    assert.equal((await cli('cancel', unpaid.id)).code, 2);
    const dryCancel = await cli('cancel', unpaid.id, '--reason', 'buyer asked', '--dry-run', '--json');
    assert.equal(dryCancel.code, 0, dryCancel.err);
    assert.equal(await status(unpaid.id), 'AWAIT_FUNDS');
    assert.equal((await cli('cancel', unpaid.id, '--reason', 'buyer asked')).code, 0);
    assert.equal(await status(unpaid.id), 'CANCELLED');

    const wire = await escrow('20000', 'unpaid');
    const pay = ['confirm-payment', wire.id, '--transaction', 'wire-42', '--evidence', 'statement line 14'];
    const money = ['--amount', wire.owed.toString(), '--currency', 'USD'];
    assert.equal((await cli(...pay, ...money)).code, 2, 'no --reason');
    const mid = await dbCounts();
    const dryPay = await cli(...pay, ...money, '--reason', 'wire confirmed', '--dry-run');
    assert.match(dryPay.out, /would record EscrowFundsHeld/);
    assert.deepEqual(await dbCounts(), mid);
    const paid = await cli(...pay, ...money, '--reason', 'wire confirmed by treasury');
    assert.equal(paid.code, 0, paid.err);
    assert.equal(await status(wire.id), 'FUNDS_HELD');
    await withEngine((e) => assertDatabaseVerifies(e));
  });
});
