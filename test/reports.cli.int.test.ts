import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OffendersReport, VolumeReport } from '../src/app/reports.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';
import { dataDirCli } from './dataDirCli.js';
import { actors, assertDatabaseVerifies, deliveredEscrow, fundedEscrow, tableCounts } from './harness.js';

// `escrow report …` on an embedded data directory: opened by the command itself, then through the embedded server
// that holds it (GET /api/admin/reports/*). Three disputes against one seller, one escrow released; real clock.

describe('escrow report (CLI, PGlite data directory, then through its server)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  let fee = 0n;
  const { withEngine, cli } = dataDirCli(() => env);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-report-'));
    env = {
      DATA_DIR: join(tmp, 'data'),
      PORT: '0',
      HOST: '127.0.0.1',
      ESCROW_FEES: '{"SANDBOX":{"buyer":{"bps":0,"fixed":0},"seller":{"bps":500,"fixed":0}}}',
    };
    await withEngine(async (e) => {
      for (let i = 0; i < 3; i++) {
        const id = await fundedEscrow(e, { sellerId: 'shop:bad@example' });
        await e.service.execute('OpenDispute', id, actors.buyer, { reason: 'counterfeit' });
      }
      const released = await deliveredEscrow(e);
      fee = (await e.service.execute('ConfirmDelivery', released, actors.buyer, {})).escrow.feeAmount;
    });
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    try {
      await withEngine((e) => assertDatabaseVerifies(e));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('volume --json: the figures of the last 24 h; the table says the same', async () => {
    const out = await cli('report', 'volume', '--json');
    assert.equal(out.code, 0, out.err);
    const r = JSON.parse(out.out) as VolumeReport;
    assert.deepEqual(
      r.totals.map((t) => [t.currency, t.created, t.funded, t.released, t.disputed, t.fundedAmount]),
      [['USD', 4, 4, 1, 3, '40000']],
    );
    const table = await cli('report', 'volume');
    assert.equal(table.code, 0, table.err);
    const lines = table.out.split('\n');
    assert.match(lines[0]!, /^volume since \S+Z until \S+Z$/);
    assert.match(
      lines[1]!,
      /^CURRENCY\s+CREATED\s+FUNDED\s+RELEASED\s+REFUNDED\s+DISPUTED\s+FUNDED AMT\s+RELEASED AMT$/,
    );
    assert.match(lines[2]!, /^USD\s+4\s+4\s+1\s+0\s+3\s+40000\s+9500$/);
  });

  it('fees: the fee revenue account of the ledger', async () => {
    assert.equal(fee, 500n, '5 % of 10000');
    const out = await cli('report', 'fees', '--since', '1h');
    assert.equal(out.code, 0, out.err);
    assert.match(
      out.out,
      /ledger account platform:fee_revenue \(minor units\)\nCURRENCY\s+FEES\s+POSTINGS\nUSD\s+500\s+1\n/,
    );
  });

  it('disputes: 3 of 4 funded; offenders lists the seller and the buyer with the blacklist command', async () => {
    const d = await cli('report', 'disputes', '--currency', 'USD');
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /^USD\s+4\s+3\s+75\.00%$/m);
    assert.match(d.out, /^counterfeit\s+3$/m);
    const o = await cli('report', 'offenders', '--json');
    assert.equal(o.code, 0, o.err);
    const r = JSON.parse(o.out) as OffendersReport;
    assert.deepEqual(
      r.offenders.map((x) => x.command),
      [
        `escrow blacklist add --kind USER --value shop:bad@example --reason 'RB-04: 3 disputes as seller in 7 days'`,
        `escrow blacklist add --kind USER --value buyer-1 --reason 'RB-04: 3 disputes as buyer in 7 days'`,
      ],
    );
    const table = await cli('report', 'offenders');
    assert.match(
      table.out,
      /^SELLER\s+shop:bad@example\s+3\s+3\s+\S+Z\s+escrow blacklist add --kind USER --value shop:bad@example /m,
    );
    assert.equal((await cli('report', 'offenders', '--min', '4')).out.split('\n')[1], 'none');
  });

  it('bad input: a usage error or a validation error, and nothing written', async () => {
    const before = await withEngine((e) => tableCounts(e.db));
    const since = await cli('report', 'volume', '--since', 'last week');
    assert.equal(since.code, 2, since.out);
    assert.match(since.err, /since/);
    const min = await cli('report', 'offenders', '--min', '0');
    assert.notEqual(min.code, 0);
    assert.match(min.err, /--min takes 1 to 1000/);
    const none = await cli('report');
    assert.notEqual(none.code, 0);
    assert.match(none.err, /missing command \(one of volume, fees, disputes, offenders\)/);
    assert.deepEqual(await withEngine((e) => tableCounts(e.db)), before);
  });

  it('through the embedded server holding the directory: the same answer', async () => {
    const local = JSON.parse((await cli('report', 'offenders', '--json')).out) as OffendersReport;
    server = await serve(env);
    const remote = await childCli(['report', 'offenders', '--json'], env);
    assert.equal(remote.code, 0, remote.stderr);
    const r = json<OffendersReport>(remote);
    assert.deepEqual(r.offenders, local.offenders);
    const volume = await childCli(['report', 'volume', '--since', '2h', '--by', 'hour'], env);
    assert.equal(volume.code, 0, volume.stderr);
    assert.match(volume.stdout, /^USD\s+4\s+4\s+1\s+0\s+3\s+40000\s+9500$/m);
  });
});
