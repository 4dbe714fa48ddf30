import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RebuildReport, RetryResult } from '../src/app/escrowRebuild.js';
import type { EscrowTimeline, QueueReport, StuckReport } from '../src/app/operatorViews.js';
import type { SettlementEntry } from '../src/app/ports/operatorQueries.js';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type Engine } from '../src/main.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';
import { dataDirCli } from './dataDirCli.js';
import {
  FakeClock,
  actors,
  assertDatabaseVerifies,
  deliveredEscrow,
  escrowInput,
  fundedEscrow,
  tableCounts,
} from './harness.js';

const DAY = 86_400_000;

// `escrow stuck|show|rebuild|settlements|queues` on an embedded data directory: opened by each command itself, then
// through the embedded server that holds it. The clock is the real one: escrows are made stuck by backdating rows.

/** The escrows row as stored, and every table's count: what a dry run must leave as it was. */
async function snapshot(e: Engine, escrowId: string) {
  const { rows } = await e.db.query('SELECT * FROM escrows WHERE id = $1', [escrowId]);
  return { counts: await tableCounts(e.db), row: JSON.stringify(rows[0]) };
}

/** A delivered and confirmed payout whose settlement fails for good (magic amount …15, one attempt allowed). */
async function failedSettlement(e: Engine): Promise<{ escrowId: string; settlementId: string }> {
  const escrowId = await deliveredEscrow(e, { amount: '30015' });
  await e.service.execute('ConfirmDelivery', escrowId, actors.buyer, {});
  await e.settlementWorker.runOnce();
  const s = (await e.readModel.getEscrow(escrowId))!.settlements[0]!;
  assert.equal(s.status, 'FAILED');
  return { escrowId, settlementId: s.id };
}

describe('escrow stuck / show / rebuild / settlements / queues (CLI, PGlite data directory, then its server)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  const { withEngine, cli } = dataDirCli(() => env);
  const ids = { unpaid: '', held: '', delivered: '', failed: '', settlement: '' };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-operator-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1', ESCROW_MAX_RETRIES: '1' };
    // made in the past on a fake clock, so the events say so (no backdated row: verify stays clean)
    const clock = new FakeClock(new Date(Date.now() - 20 * DAY).toISOString());
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
    const past = await createEngine(config, { logger: pino({ level: 'silent' }), clock });
    try {
      ids.delivered = await deliveredEscrow(past, { amount: '70000', currency: 'EUR' }); // confirm by -13 d
      clock.advanceDays(10);
      ids.unpaid = (await past.service.create(actors.buyer, escrowInput({ amount: '20000' }))).escrow.id; // pay by -3 d
      clock.advanceDays(1);
      ids.held = await fundedEscrow(past, { amount: '500000' }); // held since -9 d
    } finally {
      await past.stop();
    }
    await withEngine(async (e) => {
      ({ escrowId: ids.failed, settlementId: ids.settlement } = await failedSettlement(e));
    });
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('stuck lists every escrow past its next step, oldest first, with its reasons; the filters narrow it', async () => {
    const run = await cli('stuck', '--json');
    assert.equal(run.code, 0, run.err);
    const report = JSON.parse(run.out) as StuckReport;
    assert.deepEqual(
      report.data.map((s) => [s.escrowId, s.reasons, s.highValue]),
      [
        [ids.delivered, ['CONFIRMATION_DEADLINE_PASSED'], false],
        [ids.held, ['HELD_OVER_7_DAYS'], true],
        [ids.unpaid, ['PAYMENT_DEADLINE_PASSED'], false],
        [ids.failed, ['SETTLEMENT_FAILED'], false],
      ],
    );
    assert.equal(report.data[1]!.amount, '500000');
    assert.ok(Math.abs(report.data[1]!.ageSeconds - 9 * 86400) < 600, 'aged from its creation');

    const only = async (...args: string[]) =>
      (JSON.parse((await cli('stuck', '--json', ...args)).out) as StuckReport).data.map((s) => s.escrowId);
    assert.deepEqual(await only('--high-value'), [ids.held]);
    assert.deepEqual(await only('--min-amount', '400000'), [ids.held]);
    assert.deepEqual(await only('--older-than', '36'), [ids.delivered, ids.held, ids.unpaid]);
    assert.deepEqual(await only('--older-than', '100'), [ids.delivered, ids.held]);
    assert.deepEqual(await only('--currency', 'EUR'), [ids.delivered]);
    assert.deepEqual(await only('--limit', '1'), [ids.delivered]);

    const table = await cli('stuck');
    const lines = table.out.trimEnd().split('\n');
    assert.match(lines[0]!, /^ESCROW\s+STATUS\s+AMOUNT\s+CURRENCY\s+AGE\s+REASONS\s+HIGH VALUE$/);
    assert.match(
      lines[2]!,
      new RegExp(`^${ids.held}\\s+FUNDS_HELD\\s+500000\\s+USD\\s+(9d 0h|8d 23h)\\s+HELD_OVER_7_DAYS\\s+yes$`),
    );
    assert.match(lines.at(-1)!, /^4 stuck, 1 high-value \(checked at \S+\)$/);
    assert.match((await cli('stuck', '--currency', 'GBP')).out, /^no stuck escrows \(checked at \S+\)\n$/);
    const bad = await cli('stuck', '--min-amount', '12.5');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--min-amount takes minor units/);
  });

  it('show prints the timeline merged by time, or grouped with --json; an unknown escrow fails', async () => {
    const run = await cli('show', ids.failed, '--json');
    assert.equal(run.code, 0, run.err);
    const t = JSON.parse(run.out) as EscrowTimeline;
    assert.equal(t.escrow.id, ids.failed);
    assert.deepEqual(t.events.map((e) => e.type).slice(0, 2), ['EscrowCreated', 'EscrowFundsHeld']);
    assert.equal(t.events.at(-1)!.type, 'SettlementFailed');
    assert.equal(t.settlements[0]!.status, 'FAILED');
    assert.equal(t.settlements[0]!.attempts, 1);
    assert.match(t.settlements[0]!.lastError ?? t.settlements[0]!.failureReason ?? '', /magic amount/);
    assert.equal(t.webhooks.length, 1, 'the sandbox payment');
    assert.ok(!('payload' in t.webhooks[0]!) && !('rawBody' in t.webhooks[0]!), 'metadata only');
    assert.equal(t.outbox.length, t.events.length);
    assert.ok(t.ledger.length > 0);
    assert.ok(
      t.audit.some((a) => a.action === 'ConfirmDelivery'),
      JSON.stringify(t.audit.map((a) => a.action)),
    );

    const text = (await cli('show', ids.failed)).out.split('\n');
    assert.match(text[0]!, new RegExp(`^escrow ${ids.failed} RELEASED v\\d+: 30015 USD on SANDBOX`));
    assert.match(text[1]!, /^AT\s+WHAT\s+DETAIL$/);
    assert.match(text[2]!, /^\S+Z\s+event\s+#1 EscrowCreated by buyer-1 \(user\)$/);
    assert.ok(text.some((l) => /\ssettlement\s+.* FAILED after 1 attempts/.test(l)));
    const missing = await cli('show', randomUUID());
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^ESCROW_NOT_FOUND: escrow \S+ not found/);
  });

  it('rebuild shows a drifted row field by field, a dry run changes nothing, the rebuild repairs it (audited)', async () => {
    await withEngine((e) =>
      e.db.query(`UPDATE escrows SET status = 'FUNDS_HELD', flagged_for_review = true WHERE id = $1`, [ids.delivered]),
    );
    const drifted = (await cli('verify')).code;
    assert.equal(drifted, 1, 'verify sees the drift');
    const before = await withEngine((e) => snapshot(e, ids.delivered));
    const dry = await cli('rebuild', ids.delivered, '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const report = JSON.parse(dry.out) as RebuildReport;
    assert.deepEqual(
      report.differences.map((d) => [d.field, d.row, d.events, d.repairable]),
      [
        ['status', 'FUNDS_HELD', 'DELIVERED', true],
        ['flaggedForReview', true, false, true],
      ].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)),
    );
    assert.equal(report.repaired, false);
    assert.deepEqual(await withEngine((e) => snapshot(e, ids.delivered)), before, 'the dry run wrote nothing');
    assert.match((await cli('rebuild', ids.delivered, '--dry-run')).out, /^status\s+FUNDS_HELD\s+DELIVERED\s+yes$/m);

    const noReason = await cli('rebuild', ids.delivered);
    assert.equal(noReason.code, 2);
    assert.match(noReason.err, /required option --reason/);
    const fixed = await cli('rebuild', ids.delivered, '--reason', 'INC-31 manual UPDATE', '--json');
    assert.equal(fixed.code, 0, fixed.err);
    assert.equal((JSON.parse(fixed.out) as RebuildReport).repaired, true);
    assert.equal((await cli('verify')).code, 0, 'verify is clean after the rebuild');
    const again = await cli('rebuild', ids.delivered, '--reason', 'again');
    assert.match(again.out, /^no drift: fold\(events\) equals the stored escrow/);
    await withEngine(async (e) => {
      const { rows } = await e.db.query<{ actor_id: string; escrow_id: string; details: { reason: string } }>(
        `SELECT actor_id, escrow_id, details FROM audit_logs WHERE action = 'escrow.rebuild'`,
      );
      assert.equal(rows.length, 1, 'one audit row: the no-drift run wrote none');
      assert.match(rows[0]!.actor_id, /^cli:/);
      assert.equal(rows[0]!.escrow_id, ids.delivered);
      assert.equal(rows[0]!.details.reason, 'INC-31 manual UPDATE');
      await assertDatabaseVerifies(e);
    });
  });

  it('settlements lists them; retry --dry-run changes nothing, retry sends a FAILED one again (audited)', async () => {
    const failed = JSON.parse((await cli('settlements', '--failed', '--json')).out) as { data: SettlementEntry[] };
    assert.deepEqual(
      failed.data.map((s) => [s.settlementId, s.escrowId, s.rail, s.amount, s.status, s.attempts]),
      [[ids.settlement, ids.failed, 'SANDBOX', '30015', 'FAILED', 1]],
    );
    const table = await cli('settlements', '--failed');
    assert.match(
      table.out,
      /^SETTLEMENT\s+ESCROW\s+RAIL\s+KIND\s+AMOUNT\s+CURRENCY\s+STATUS\s+ATTEMPTS\s+AGE\s+LAST ERROR$/m,
    );
    assert.match(table.out, /^1 listed$/m);

    const before = await withEngine((e) => snapshot(e, ids.failed));
    const dry = await cli('settlements', 'retry', ids.settlement, '--reason', 'INC-12', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const would = JSON.parse(dry.out) as RetryResult;
    assert.deepEqual(
      [would.dryRun, would.status, would.events.map((e) => e.type)],
      [true, 'FAILED', ['SettlementRetried']],
    );
    assert.deepEqual(await withEngine((e) => snapshot(e, ids.failed)), before, 'the dry run wrote nothing');
    assert.equal((await cli('settlements', 'retry', ids.settlement)).code, 2, '--reason is required');

    const done = await cli('settlements', 'retry', ids.settlement, '--reason', 'INC-12 account fixed');
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, /^retried: settlement \S+ \(escrow \S+\) is PENDING/);
    assert.equal((await cli('settlements', '--failed')).out, 'no settlements\n');
    const refused = await cli('settlements', 'retry', ids.settlement, '--reason', 'twice');
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^INVALID_STATE_TRANSITION/);
    await withEngine(async (e) => {
      const { rows } = await e.db.query<{ actor_id: string; details: { reason: string; settlementId: string } }>(
        `SELECT actor_id, details FROM audit_logs WHERE action = 'settlements.retry' ORDER BY id`,
      );
      assert.deepEqual(
        rows.map((r) => [r.details.reason, r.details.settlementId]),
        [
          ['INC-12 account fixed', ids.settlement],
          ['twice', ids.settlement], // audited before it ran, then refused
        ],
      );
      assert.match(rows[0]!.actor_id, /^cli:/);
      await assertDatabaseVerifies(e);
    });
  });

  it('queues: a deadline due for days is a PROBLEM (exit 1); once the timeouts ran, healthy (exit 0)', async () => {
    const late = await cli('queues', '--json');
    assert.equal(late.code, 1, late.err);
    const report = JSON.parse(late.out) as QueueReport;
    const line = (r: QueueReport, metric: string) => r.lines.find((l) => l.metric === metric)!;
    assert.equal(report.healthy, false);
    assert.equal(line(report, 'oldest_due_age_seconds').status, 'PROBLEM');
    assert.equal(line(report, 'payment_due').value, 1);
    assert.equal(line(report, 'failed').value, 0, 'the failed settlement was retried');
    await withEngine((e) => e.timeouts.runOnce({ dryRun: false }));
    const ok = await cli('queues');
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /^QUEUE\s+METRIC\s+VALUE\s+THRESHOLD\s+STATUS$/m);
    assert.match(ok.out, /^outbox\s+unpublished\s+\d+\s+<= 100\s+OK$/m);
    assert.match(ok.out, /^healthy \(checked at \S+\)$/m);
  });

  it('through the embedded server holding the directory: the same answers', async () => {
    server = await serve(env);
    const remote = await childCli(['stuck', '--json'], env);
    assert.equal(remote.code, 0, remote.stderr);
    // the timeouts ran: only the held escrow, and the retried payout if the server's worker failed it again
    const stuck = json<StuckReport>(remote).data;
    assert.deepEqual(stuck[0]?.reasons, ['HELD_OVER_7_DAYS']);
    assert.ok(
      stuck.every((s) => [ids.held, ids.failed].includes(s.escrowId)),
      JSON.stringify(stuck),
    );
    const shown = await childCli(['show', ids.failed, '--json'], env);
    assert.equal(json<EscrowTimeline>(shown).escrow.id, ids.failed);
    const rebuild = await childCli(['rebuild', ids.failed, '--dry-run'], env);
    assert.equal(rebuild.code, 0, rebuild.stderr);
    assert.match(rebuild.stdout, /^no drift/);
    const list = await childCli(['settlements', '--json', '--limit', '10'], env);
    assert.ok(json<{ data: SettlementEntry[] }>(list).data.some((s) => s.settlementId === ids.settlement));
    const queues = await childCli(['queues', '--json'], env);
    const q = json<QueueReport>(queues);
    assert.equal(queues.code, q.healthy ? 0 : 1);
    // the retried payout (magic amount …15) fails again on the server's worker: the only line that may be a PROBLEM
    assert.deepEqual(
      q.lines.filter((l) => l.status !== 'OK' && l.metric !== 'failed'),
      [],
    );
    const missing = await childCli(['show', randomUUID()], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /ESCROW_NOT_FOUND/);
    const verify = await childCli(['verify'], env);
    assert.equal(verify.code, 0, verify.stdout);
  });
});
