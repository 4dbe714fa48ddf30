/**
 * Engine throughput against PostgreSQL, next to the server's own TPC-B figure:
 *   N escrows × (create → pay → deliver → confirm → settle) with C in flight, then pgbench on the same server.
 * R = committed transitions/s ÷ TPC-B tps says how much of the server's transactional capacity one escrow
 * transition costs, on whatever machine the bench runs. See bench/README.md.
 */
import type { LatencyRecorder } from './latency.js';
import { finalStates, openBenchEngine, runLifecycles, type LifecycleStats } from './lifecycle.js';
import { parseOptions } from './options.js';
import { checkpoint, logTpcb, runMain, runTpcb, type TpcbResult } from './pgbench.js';

const TRANSITION_DEFINITION =
  'a committed transition is a command that committed and moved the escrow or one of its settlements to another ' +
  'state (create: none→AWAIT_FUNDS, pay: →FUNDS_HELD, deliver: →DELIVERED, confirm: →RELEASED, ' +
  'settle: settlement PENDING→SUCCEEDED): 5 per escrow, out of 5 commands and 6 events';

/**
 * What one lifecycle commits. Events: EscrowCreated, EscrowFundsHeld, EscrowDelivered, DeliveryConfirmed +
 * EscrowReleased, SettlementSucceeded.
 */
const PER_ESCROW = { transitions: 5, commands: 5, events: 6 };

const log = (line = '') => console.log(line);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const rate = (count: number, wallMs: number) => (count * 1000) / wallMs;
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

function latencyTable(title: string, rec: LatencyRecorder): void {
  log(title);
  log(`  ${'label'.padEnd(24)}${['count', 'mean', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(9)).join('')}`);
  for (const label of [...rec.labels(), 'all']) {
    const s = rec.summary(label === 'all' ? undefined : label);
    const cells = [String(s.count), ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
    log(`  ${label.padEnd(24)}${cells.map((c) => c.padStart(9)).join('')}`);
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2), process.env);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const poolSize = opts.c + 4;
  const problems: string[] = [];

  log(`engine bench: N=${opts.n} C=${opts.c} warm-up=${opts.warmup} pool=${poolSize} on ${redact(opts.databaseUrl)}`);
  // TPC-B runs half before and half after the engine phase, bracketing it in time: on a shared machine the
  // server's speed drifts, and a baseline taken on one side only would skew R with the drift.
  const half = { ...opts, pgbench: { ...opts.pgbench, seconds: Math.max(5, Math.round(opts.pgbench.seconds / 2)) } };
  const tpcbBefore = opts.pgbench.seconds > 0 ? await runTpcb(half, (line) => log(line)) : null;
  const bench = await openBenchEngine(opts.databaseUrl, poolSize);
  log(`schema ${bench.schema} (dropped at the end), SANDBOX rail, amounts 10000-14900 (no magic tails)`);
  let stats: LifecycleStats;
  let violations: number;
  let nodeCpuMs: number;
  try {
    if (opts.warmup > 0) {
      await runLifecycles(bench.engine, opts.warmup, opts.c, false, abort.signal);
      log(`warm-up: ${opts.warmup} lifecycles done (not counted)`);
    }
    await checkpoint(opts.databaseUrl);
    const cpu0 = process.cpuUsage();
    stats = await runLifecycles(bench.engine, opts.n, opts.c, true, abort.signal);
    const cpu = process.cpuUsage(cpu0);
    nodeCpuMs = (cpu.user + cpu.system) / 1000;

    const verifyStarted = performance.now();
    const report = await bench.engine.verify();
    violations = report.violations.length;
    log(
      `verify: ${report.escrowsChecked} escrows checked, ${violations} violations ` +
        `(${((performance.now() - verifyStarted) / 1000).toFixed(1)} s)`,
    );
    for (const v of report.violations.slice(0, 20)) problems.push(`invariant: ${v.escrowId ?? '-'}: ${v.problem}`);
    if (violations > 20) problems.push(`… and ${violations - 20} more violations`);

    const states = await finalStates(bench.db);
    const total = opts.n + opts.warmup;
    if (states.escrows.RELEASED !== total || Object.keys(states.escrows).length !== 1) {
      problems.push(`expected ${total} RELEASED escrows, found ${JSON.stringify(states.escrows)}`);
    }
    if (states.settlements.SUCCEEDED !== total || Object.keys(states.settlements).length !== 1) {
      problems.push(`expected ${total} SUCCEEDED settlements, found ${JSON.stringify(states.settlements)}`);
    }
    for (const k of ['transitions', 'commands', 'events'] as const) {
      if (stats[k] !== PER_ESCROW[k] * opts.n) problems.push(`${k}: ${stats[k]}, expected ${PER_ESCROW[k] * opts.n}`);
    }
    if (stats.rejected > 0) problems.push(`${stats.rejected} commands were rejected`);
  } finally {
    await bench.close();
  }

  let tpcb: TpcbResult | null = null;
  if (tpcbBefore) {
    const after = await runTpcb(half, (line) => log(line));
    log(`TPC-B before ${tpcbBefore.tps.toFixed(1)} tps, after ${after.tps.toFixed(1)} tps; the baseline is their mean`);
    tpcb = {
      ...after,
      tps: (tpcbBefore.tps + after.tps) / 2,
      latencyAvgMs:
        tpcbBefore.latencyAvgMs !== null && after.latencyAvgMs !== null
          ? Math.round(((tpcbBefore.latencyAvgMs + after.latencyAvgMs) / 2) * 1000) / 1000
          : null,
      transactions: (tpcbBefore.transactions ?? 0) + (after.transactions ?? 0),
      command: `${after.command} (twice: before and after the engine phase)`,
    };
  }

  const wallS = stats.wallMs / 1000;
  const transitionsPerSec = rate(stats.transitions, stats.wallMs);
  const commandsPerSec = rate(stats.commands, stats.wallMs);
  const eventsPerSec = rate(stats.events, stats.wallMs);
  const all = stats.handler.summary();
  const ratio = tpcb ? transitionsPerSec / tpcb.tps : null;

  log();
  latencyTable('command latency, ms (CommandHandler.handle: load → decide → commit, per command type)', stats.handler);
  log();
  latencyTable(
    'step latency, ms (the call the bench makes: includes rail instructions, webhook intake, settle batch)',
    stats.steps,
  );
  log();
  log(`definition: ${TRANSITION_DEFINITION}`);
  log(
    `escrows             ${stats.escrows} in ${wallS.toFixed(2)} s (${rate(stats.escrows, stats.wallMs).toFixed(1)} lifecycles/s)`,
  );
  log(`commands            ${stats.commands} committed, ${commandsPerSec.toFixed(1)} commands/s`);
  log(`events              ${stats.events}, ${eventsPerSec.toFixed(1)} events/s`);
  log(`transitions         ${stats.transitions}, ${transitionsPerSec.toFixed(1)} committed transitions/s`);
  log(
    `node CPU            ${(nodeCpuMs / 1000).toFixed(1)} s, ${(nodeCpuMs / stats.commands).toFixed(3)} ms per command ` +
      '(the rest of the wall time is PostgreSQL, the network and waiting)',
  );
  log(`command latency     p50 ${ms(all.p50)} ms, p99 ${ms(all.p99)} ms (all ${all.count} commands)`);
  logTpcb(log, tpcb, transitionsPerSec, 'R');
  for (const p of problems) log(`FAIL ${p}`);

  const perCommand = Object.fromEntries(
    stats.handler.labels().map((l) => {
      const s = stats.handler.summary(l);
      return [l, { p50Ms: round(s.p50), p99Ms: round(s.p99) }];
    }),
  );
  log(
    JSON.stringify({
      bench: 'engine',
      n: opts.n,
      c: opts.c,
      pool: poolSize,
      wallS: round(wallS),
      commands: stats.commands,
      transitions: stats.transitions,
      transition: 'committed command that moved the escrow or one of its settlements to another state',
      events: stats.events,
      transitionsPerSec: round(transitionsPerSec),
      commandsPerSec: round(commandsPerSec),
      eventsPerSec: round(eventsPerSec),
      p50Ms: round(all.p50),
      p99Ms: round(all.p99),
      perCommand,
      nodeCpuMsPerCommand: round(nodeCpuMs / stats.commands, 3),
      tpcbTps: tpcb ? round(tpcb.tps) : null,
      pgbench: tpcb?.command ?? null,
      R: ratio === null ? null : round(ratio, 4),
      violations,
      ok: problems.length === 0,
    }),
  );
  return problems.length === 0 ? 0 : 1;
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

runMain(main);
