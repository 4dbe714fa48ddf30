import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dataDirCli } from './dataDirCli.js';
import { actors, escrowInput } from './harness.js';

// `escrow suspense list|refund|apply` (issue 10 §5), in process on an embedded data directory with no server.

describe('escrow suspense (CLI, PGlite data directory)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let escrowId: string;
  let topUps: string[] = [];

  const { withEngine, cli } = dataDirCli(() => env);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-suspense-'));
    env = { DATA_DIR: join(tmp, 'data') };
    ({ escrowId, topUps } = await withEngine(async (e) => {
      const overpaid = await e.service.create(actors.buyer, escrowInput({ amount: '2000' }));
      await e.simulator.pay(overpaid.escrow.id, { amount: '2500' });
      const short = await e.service.create(actors.buyer, escrowInput({ amount: '6000' }));
      await e.simulator.pay(short.escrow.id, { amount: '4000' });
      await e.simulator.pay(short.escrow.id, { amount: '2000' });
      const items = (await e.queries.suspense(actors.admin, { escrowId: short.escrow.id })).data;
      return { escrowId: overpaid.escrow.id, topUps: items.map((i) => i.id) };
    }));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const listed = async (...filter: string[]) => {
    const r = await cli('suspense', 'list', ...filter);
    assert.equal(r.code, 0, r.err);
    return JSON.parse(r.out) as { data: { id: string; amount: string; status: string }[] };
  };

  it('lists, refunds with a mandatory reason (dry run first), and verify stays clean', async () => {
    const [item] = (await listed('--escrow', escrowId, '--status', 'OPEN')).data;
    assert.equal(item?.amount, '2500');
    assert.equal((await cli('suspense', 'refund', item.id)).code, 2, 'a refund needs --reason');
    const dry = await cli('suspense', 'refund', item.id, '--reason', 'overpaid', '--dry-run');
    assert.equal(dry.code, 0, dry.err);
    assert.deepEqual(
      (JSON.parse(dry.out) as { events: { type: string }[] }).events.map((e) => e.type),
      ['SuspenseRefunded'],
    );
    assert.equal((await listed('--escrow', escrowId, '--status', 'OPEN')).data.length, 1, 'a dry run changes nothing');
    const done = await cli('suspense', 'refund', item.id, '--reason', 'Overpaid by 500: refunded');
    assert.equal(done.code, 0, done.err);
    assert.equal((await listed('--escrow', escrowId, '--status', 'REFUNDED')).data.length, 1);
    const again = await cli('suspense', 'refund', item.id, '--reason', 'again');
    assert.equal(again.code, 1);
    assert.match(again.err, /INVALID_STATE_TRANSITION/);
    const verified = await cli('verify');
    assert.equal(verified.code, 0, verified.out + verified.err);
  });

  it('applies a short payment and its top-up to the escrow', async () => {
    const [a, b] = topUps;
    assert.ok(a && b);
    const one = await cli('suspense', 'apply', a, '--reason', 'only one part');
    assert.equal(one.code, 1);
    assert.match(one.err, /VALIDATION_ERROR/);
    const both = await cli('suspense', 'apply', a, '--also', b, '--reason', 'Buyer topped up');
    assert.equal(both.code, 0, both.err);
    assert.equal((JSON.parse(both.out) as { status: string }).status, 'FUNDS_HELD');
    const verified = await cli('verify');
    assert.equal(verified.code, 0, verified.out + verified.err);
  });
});
