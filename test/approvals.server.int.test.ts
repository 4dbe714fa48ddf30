import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../src/app/ports/approvalStore.js';
import { serverBackend } from '../src/cli/server.js';
import { CliFailure } from '../src/cli/exitCodes.js';
import { loadConfig } from '../src/config/index.js';
import { assertDatabaseVerifies, deliveredEscrow, tableCounts } from './harness.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';

// Dual control through the CLI's other way in: the embedded server's admin API (serverBackend, as `escrow release`
// and `escrow approvals approve` run while a server holds the data directory). Each operator is the CLI's own user
// (cli:<name>); the proposer's approval is refused, a second operator's applies, dry runs write nothing.

describe('escrow release / approvals through the server that holds the directory', () => {
  let s: TestServer;
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });
  const operator = (sub: string) => {
    const holder = { pid: process.pid, hostname: 'here', startedAt: '', token: 't', url: s.baseUrl };
    return serverBackend(config, holder, sub);
  };
  before(async () => {
    s = await testServer('pglite', { ADMIN_APPROVAL_THRESHOLD: 'USD:5000' });
  });
  after(() => s.close());

  it('a large release is proposed; the proposer cannot approve it; a second operator does, once', async () => {
    const escrowId = await deliveredEscrow(s.engine);
    const alice = await operator('cli:alice');
    const bob = await operator('cli:bob');
    const release = { command: 'ReleaseEscrow' as const, escrowId, payload: { reason: 'verified delivery' } };

    const before = await tableCounts(s.testDb.db);
    const dry = await alice.adminAction({ ...release, dryRun: true });
    assert.equal((dry as { dryRun?: boolean }).dryRun, true);
    assert.deepEqual(await tableCounts(s.testDb.db), before, 'a dry run writes nothing');

    const proposed = await alice.adminAction({ ...release, dryRun: false });
    assert.equal(proposed.status, 'PENDING_APPROVAL', JSON.stringify(proposed));
    const approval = (proposed as { approval: Approval }).approval;
    assert.equal(approval.proposedBy, 'cli:alice');
    assert.equal((await s.engine.readModel.getEscrow(escrowId))?.status, 'DELIVERED', 'nothing moved yet');

    await assert.rejects(alice.approvalDecide(approval.id, 'approve', { reason: 'mine', dryRun: false }), (err) => {
      assert.ok(err instanceof CliFailure);
      assert.match(err.message, /^SELF_APPROVAL: /);
      return true;
    });
    const mid = await tableCounts(s.testDb.db);
    await bob.approvalDecide(approval.id, 'approve', { reason: 'checked the delivery', dryRun: true });
    assert.deepEqual(await tableCounts(s.testDb.db), mid, "the approval's dry run writes nothing");
    await bob.approvalDecide(approval.id, 'approve', { reason: 'checked the delivery', dryRun: false });
    const again = await bob.approvalDecide(approval.id, 'approve', { reason: 'again', dryRun: false });
    assert.equal(again.replayed, true);
    const listed = await bob.approvalsList({ limit: 10 });
    assert.deepEqual(
      listed.items.map((a) => [a.id, a.status, a.decidedBy]),
      [[approval.id, 'APPROVED', 'cli:bob']],
    );
    const { rows } = await s.testDb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM escrow_events WHERE escrow_id = $1 AND type = 'EscrowReleased'`,
      [escrowId],
    );
    assert.equal(rows[0]!.n, 1, 'released once');
    await assertDatabaseVerifies(s.engine);
  });
});
