import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DisputeQueue } from '../src/http/routes/disputeAdmin.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';
import { dataDirCli } from './dataDirCli.js';
import { actors, fundedEscrow } from './harness.js';

// `escrow disputes` on an embedded data directory: opened by the command itself, then through the embedded server
// that holds it (GET /api/admin/disputes). The clock is the real one here: overdue disputes are made by backdating
// their deadlines, as an operator would find them.

describe('escrow disputes (CLI, PGlite data directory, then through its server)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  const ids: { escrowId: string; disputeId: string }[] = [];
  const { withEngine, cli } = dataDirCli(() => env);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-disputes-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' };
    await withEngine(async (e) => {
      for (const opener of [actors.buyer, actors.seller]) {
        const escrowId = await fundedEscrow(e);
        const { escrow } = await e.service.execute('OpenDispute', escrowId, opener, { reason: 'not as described' });
        ids.push({ escrowId, disputeId: escrow.disputes[0]!.id });
      }
    });
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the open disputes as a table, or --json; --overdue finds none yet', async () => {
    const listed = await cli('disputes', '--json');
    assert.equal(listed.code, 0, listed.err);
    const queue = JSON.parse(listed.out) as DisputeQueue;
    assert.deepEqual(
      queue.data.map((d) => d.disputeId),
      ids.map((d) => d.disputeId),
      'the older dispute first (same deadlines, one opened first)',
    );
    assert.deepEqual(queue.overdueCounts, { response: 0, sla: 0 });

    const table = await cli('disputes');
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^ESCROW\s+DISPUTE\s+MILESTONE\s+STATUS\s+NEXT DEADLINE\s+OVERDUE$/);
    assert.equal(lines.length, 4);
    assert.match(lines[1]!, new RegExp(`^${ids[0]!.escrowId}\\s+${ids[0]!.disputeId}\\s+-\\s+OPEN\\s+\\S+Z\\s+-$`));
    assert.equal(lines[3], '2 listed; overdue now: 0 past respond-by without an answer, 0 past the SLA');

    const none = await cli('disputes', '--overdue');
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, 'no overdue disputes; overdue now: 0 past respond-by without an answer, 0 past the SLA\n');
  });

  it('--overdue lists the disputes past a deadline with their marks; --limit keeps the soonest', async () => {
    await withEngine((e) =>
      e.db.query(
        `UPDATE disputes SET respond_by = now() - interval '1 hour', sla_due_at = now() - interval '1 minute'
         WHERE id = $1`,
        [ids[1]!.disputeId],
      ),
    );
    const late = await cli('disputes', '--overdue', '--json');
    assert.equal(late.code, 0, late.err);
    const queue = JSON.parse(late.out) as DisputeQueue;
    assert.deepEqual(
      queue.data.map((d) => [d.disputeId, d.overdue]),
      [[ids[1]!.disputeId, ['RESPONSE', 'SLA']]],
    );
    assert.deepEqual(queue.overdueCounts, { response: 1, sla: 1 });
    const table = await cli('disputes', '--limit', '1');
    assert.match(table.out, new RegExp(`^${ids[1]!.escrowId}\\s+${ids[1]!.disputeId}\\s.*\\sRESPONSE,SLA$`, 'm'));
    assert.match(table.out, /^1 listed; overdue now: 1 past respond-by without an answer, 1 past the SLA$/m);
  });

  it('through the embedded server holding the directory: the same answer', async () => {
    const local = JSON.parse((await cli('disputes', '--json')).out) as DisputeQueue;
    server = await serve(env);
    const remote = await childCli(['disputes', '--json'], env);
    assert.equal(remote.code, 0, remote.stderr);
    assert.deepEqual(json<DisputeQueue>(remote), local);
    const overdue = await childCli(['disputes', '--overdue', '--limit', '5'], env);
    assert.equal(overdue.code, 0, overdue.stderr);
    assert.match(overdue.stdout, /^1 listed; overdue now: 1 past respond-by/m);
  });
});
