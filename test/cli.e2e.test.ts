import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { TimeoutRunSummary } from '../src/app/ports/index.js';
import type { VerifyReport } from '../src/app/verify.js';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type Engine } from '../src/main.js';
import { FakeClock, actors, escrowInput } from './harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MIGRATIONS = readdirSync(join(ROOT, 'migrations'))
  .filter((f) => f.endsWith('.sql'))
  .map((f) => f.replace(/\.sql$/, ''))
  .sort();

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI in a child process with only the environment given (plus what node needs to start), so a
 * DATABASE_URL or TEST_DATABASE_URL of the test run never leaks into it: it always uses PGlite in `dataDir`.
 */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const v = process.env[k];
    if (v !== undefined) base[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: ROOT,
      env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const json = <T>(run: CliRun): T => {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
};

describe('escrow CLI (child process, PGlite)', () => {
  let tmp: string;
  let dataDir: string;
  let env: Record<string, string>;
  /** Calls that stop before opening the database, started together to save time. */
  let early: Promise<{ help: CliRun; unknown: CliRun; badEnv: CliRun }>;
  /** Escrows created in-process: one to pay through the CLI, one past its payment deadline. */
  let payMe: string;
  let overdue: string;

  /** Opens the CLI's data directory in this process (PGlite allows one process at a time: close before the CLI). */
  async function withEngine<T>(fn: (engine: Engine) => Promise<T>, clock?: FakeClock): Promise<T> {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: dataDir });
    const engine = await createEngine(config, { logger: pino({ level: 'silent' }), ...(clock ? { clock } : {}) });
    try {
      return await fn(engine);
    } finally {
      await engine.stop();
    }
  }

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-cli-'));
    dataDir = join(tmp, 'data');
    env = { DATA_DIR: dataDir };
    const badEnv = { ...env, ESCROW_PAYMENT_DEADLINE_DAYS: 'abc', DATABASE_URL: 'mysql://x' };
    early = Promise.all([cli(['--help'], env), cli(['frobnicate'], env), cli(['verify'], badEnv)]).then(
      ([help, unknown, bad]) => ({ help, unknown, badEnv: bad }),
    );
  });
  after(async () => {
    await early?.catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('migrate applies every migration once; a second run applies none', async () => {
    const first = await cli(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(json(first), { applied: MIGRATIONS, database: 'pglite' });
    const second = await cli(['migrate'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(json(second), { applied: [], database: 'pglite' });
  });

  it('--help prints the usage and exits 0', async () => {
    const { help } = await early;
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage:/);
    assert.match(help.stdout, /escrow verify/);
  });

  it('an unknown command exits 2 with the usage on stderr', async () => {
    const { unknown } = await early;
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command frobnicate/);
    assert.match(unknown.stderr, /Usage:/);
    assert.equal(unknown.stdout, '');
  });

  it('a malformed environment exits 1 and names every bad variable', async () => {
    const { badEnv } = await early;
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.stderr, /Invalid configuration/);
    assert.match(badEnv.stderr, /ESCROW_PAYMENT_DEADLINE_DAYS/);
    assert.match(badEnv.stderr, /DATABASE_URL/);
    assert.equal(badEnv.stdout, '');
  });

  it('timeouts run --dry-run lists what is due and changes nothing', async () => {
    // One escrow created ten days ago (its payment deadline has passed), one created now.
    const clock = new FakeClock(new Date(Date.now() - 10 * 86_400_000).toISOString());
    [overdue, payMe] = await withEngine(async (engine) => {
      const old = await engine.service.create(actors.buyer, escrowInput());
      clock.advanceDays(10);
      const fresh = await engine.service.create(actors.buyer, escrowInput());
      return [old.escrow.id, fresh.escrow.id];
    }, clock);

    const run = await cli(['timeouts', 'run', '--dry-run'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = json<TimeoutRunSummary>(run);
    assert.equal(summary.expired, 0);
    assert.deepEqual(
      summary.due.map((d) => [d.kind, d.escrowId]),
      [['PAYMENT_DEADLINE', overdue]],
    );
  });

  it('sandbox pay funds the escrow through a signed webhook', async () => {
    const run = await cli(['sandbox', 'pay', payMe], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(json<{ status: string }>(run).status, 'processed');
    await withEngine(async (engine) => {
      const paid = await engine.readModel.getEscrow(payMe);
      assert.equal(paid?.status, 'FUNDS_HELD');
      assert.equal(paid?.fundedAmount, 10000n);
      const untouched = await engine.readModel.getEscrow(overdue);
      assert.equal(untouched?.status, 'AWAIT_FUNDS', 'the dry run changed nothing');
      assert.equal(untouched?.version, 1);
    });
  });

  it('timeouts run expires the overdue escrow', async () => {
    const run = await cli(['timeouts', 'run'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = json<TimeoutRunSummary>(run);
    assert.equal(summary.expired, 1);
    assert.equal(summary.deliveryTimeouts, 0);
    assert.deepEqual(
      summary.due.map((d) => d.escrowId),
      [overdue],
    );
  });

  it('verify exits 0 with "ok": true on a healthy database', async () => {
    const run = await cli(['verify'], env);
    assert.equal(run.code, 0, run.stderr);
    const report = json<VerifyReport & { ok: boolean }>(run);
    assert.equal(report.ok, true);
    assert.equal(report.escrowsChecked, 2);
    assert.deepEqual(report.violations, []);
  });

  it('verify exits 1 and names the escrow when its row no longer folds from its events', async () => {
    await withEngine(async (engine) => {
      const expired = await engine.readModel.getEscrow(overdue);
      assert.equal(expired?.status, 'CANCELLED');
      assert.equal(expired?.cancelReason, 'TIMEOUT');
      // Corrupt one row behind the command path's back.
      await engine.db.query('UPDATE escrows SET flagged_for_review = true WHERE id = $1', [payMe]);
    });
    const run = await cli(['verify'], env);
    assert.equal(run.code, 1, run.stderr);
    const report = json<VerifyReport & { ok: boolean }>(run);
    assert.equal(report.ok, false);
    assert.equal(report.escrowsChecked, 2);
    assert.equal(report.violations.length, 1, JSON.stringify(report.violations));
    assert.equal(report.violations[0]?.escrowId, payMe);
    assert.match(report.violations[0]?.problem ?? '', /fold\(events\) differs.*flaggedForReview/);
  });
});
