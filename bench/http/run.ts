/**
 * The escrow lifecycle over real HTTP, next to the server's own TPC-B figure:
 *   autocannon with C connections, each chaining create → sandbox pay → mark-delivered → confirm-delivery against the
 *   API process (api + settlements roles, PostgreSQL), for D seconds; then pgbench on the same server.
 * R_http = committed transitions/s ÷ TPC-B tps. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { benchKafka } from '../kafka/setup.js';
import { checkpoint, logTpcb, runMain, runTpcb, type TpcbResult } from '../engine/pgbench.js';
import { finishLifecycles, mintIdentities, runLoad, STEPS, type Identities, type LoadResult } from './load.js';
import { parseHttpOptions, type HttpBenchOptions } from './options.js';
import { spawnBenchServer } from './remote.js';
import { startBenchServer, type BenchServer, type ServerCheck, type ServerStats } from './server.js';

/** The latency objective at the measured load. */
const P95_TARGET_MS = 200;

const log = (line = '') => console.log(line);
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** After a run: wait for requests autocannon abandoned, take their escrows to RELEASED, wait for the payouts. */
async function drain(
  server: BenchServer,
  ids: Identities,
  concurrency: number,
  problems: string[],
): Promise<{ finished: number; settleMs: number }> {
  await server.quiesce(300, 15_000);
  const unfinished = await server.unfinished();
  const done = await finishLifecycles(server.port, unfinished, ids, concurrency);
  for (const f of done.failures) problems.push(`finishing a lifecycle: ${f}`);
  const settleMs = await server.settled(60_000);
  return { finished: done.finished, settleMs };
}

function loadProblems(phase: string, load: LoadResult, problems: string[]): void {
  const r = load.result;
  if (r.errors > 0) problems.push(`${phase}: ${r.errors} connection errors (${r.timeouts} timeouts)`);
  if (r.non2xx > 0) problems.push(`${phase}: ${r.non2xx} non-2xx responses ${JSON.stringify(r.statusCodeStats)}`);
  if (load.failed > 0) problems.push(`${phase}: ${load.failed} failed steps`);
  for (const f of load.failures) problems.push(`${phase}: ${f}`);
}

function checkProblems(check: ServerCheck, problems: string[]): void {
  problems.push(...check.problems);
  const released = check.escrows.RELEASED ?? 0;
  if (released === 0 || Object.keys(check.escrows).length !== 1) {
    problems.push(`expected every escrow RELEASED, found ${JSON.stringify(check.escrows)}`);
  }
  if (check.settlements.SUCCEEDED !== released || Object.keys(check.settlements).length !== 1) {
    problems.push(`expected ${released} SUCCEEDED settlements, found ${JSON.stringify(check.settlements)}`);
  }
}

async function main(): Promise<number> {
  const opts: HttpBenchOptions = parseHttpOptions(process.argv.slice(2), process.env);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const poolSize = opts.connections + 4;
  const jwtSecret = randomBytes(48).toString('base64url');
  const ids = await mintIdentities(jwtSecret);
  const problems: string[] = [];
  const mode = `${opts.inProcess ? 'in-process' : 'child process'}${opts.kafka ? ', Kafka mode (api + worker + outbox)' : ''}`;

  log(
    `http bench: connections=${opts.connections} duration=${opts.duration}s warm-up=${opts.warmup}s pool=${poolSize} ` +
      `on ${redact(opts.databaseUrl)}, API in a ${mode}`,
  );
  const cluster = opts.kafka ? await benchKafka('bench') : null;
  const kafka = cluster?.env;
  if (cluster) log(`Kafka: ${cluster.label}`);
  const settings = { databaseUrl: opts.databaseUrl, poolSize, jwtSecret, ...(kafka ? { kafka } : {}) };
  const server = opts.inProcess ? await startBenchServer(settings) : await spawnBenchServer(settings);
  log(
    `API on 127.0.0.1:${server.port} (pid ${server.pid}), roles ${opts.kafka ? 'api + worker + outbox + settlements' : 'api + settlements'}, schema ${server.schema} ` +
      '(dropped at the end), SANDBOX rail, silent logger, rate limits 1000000/min',
  );

  let load: LoadResult;
  let stats: ServerStats;
  let check: ServerCheck;
  let drained: { finished: number; settleMs: number };
  let clientCpuMs: number;
  try {
    const runId = randomBytes(4).toString('hex');
    if (opts.warmup > 0) {
      const warm = await runLoad(server.port, {
        connections: opts.connections,
        duration: opts.warmup,
        runId: `${runId}w`,
        ids,
        signal: abort.signal,
      });
      loadProblems('warm-up', warm, problems);
      const d = await drain(server, ids, opts.connections, problems);
      log(
        `warm-up: ${warm.completed} lifecycles in ${warm.result.duration} s, ${d.finished} finished after it (not counted)`,
      );
    }
    if (abort.signal.aborted) throw new Error('interrupted');
    await checkpoint(opts.databaseUrl);

    await server.startRecording();
    const cpu0 = process.cpuUsage();
    load = await runLoad(server.port, {
      connections: opts.connections,
      duration: opts.duration,
      runId,
      ids,
      signal: abort.signal,
    });
    const cpu = process.cpuUsage(cpu0);
    stats = await server.stopRecording();
    clientCpuMs = (cpu.user + cpu.system) / 1000;
    if (abort.signal.aborted) throw new Error('interrupted');
    loadProblems('measured run', load, problems);
    if (stats.rejected > 0) problems.push(`${stats.rejected} commands rejected: ${stats.rejections.join(', ')}`);
    if (stats.settlementsFailed > 0) problems.push(`${stats.settlementsFailed} settlements failed`);

    drained = await drain(server, ids, opts.connections, problems);
    const verifyStarted = performance.now();
    check = await server.check();
    log(
      `verify: ${check.violations} violations; escrows ${JSON.stringify(check.escrows)}, settlements ` +
        `${JSON.stringify(check.settlements)} (${((performance.now() - verifyStarted) / 1000).toFixed(1)} s)`,
    );
    checkProblems(check, problems);
  } finally {
    await server.close();
    cluster?.close();
  }

  let tpcb: TpcbResult | null = null;
  if (opts.tpcb.pgbench.seconds > 0) tpcb = await runTpcb(opts.tpcb, (line) => log(line));

  const r = load.result;
  const lat = r.latency;
  const all = load.steps.summary();
  const p95 = all.p95;
  const ok2xx = r['2xx'];
  const requestsPerSec = ok2xx / r.duration;
  const transitionsPerSec = (stats.transitions * 1000) / stats.wallMs;
  const lifecyclesPerSec = load.completed / r.duration;
  const ratio = tpcb ? transitionsPerSec / tpcb.tps : null;
  const commandsPerSec = (stats.commands * 1000) / stats.wallMs;
  const outboxDelay = stats.outbox.delay;
  const eventsPublishedPerSec = (stats.outbox.published * 1000) / stats.wallMs;
  const p95Ok = p95 < P95_TARGET_MS;

  log();
  log('HTTP latency per step, ms (autocannon response time: request written → response parsed; 2xx only)');
  log(
    `  ${'step'.padEnd(12)}${['count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'].map((h) => h.padStart(9)).join('')}`,
  );
  for (const label of [...STEPS, 'all'] as const) {
    const s = load.steps.summary(label === 'all' ? undefined : label);
    const cells = [String(s.count), ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max)];
    log(`  ${label.padEnd(12)}${cells.map((c) => c.padStart(9)).join('')}`);
  }
  log();
  log('command latency in the server, ms (CommandHandler.handle: load → decide → commit)');
  log(`  ${'command'.padEnd(24)}${['count', 'mean', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(9)).join('')}`);
  for (const [label, s] of Object.entries(stats.handler)) {
    const cells = [String(s.count), ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)];
    log(`  ${label.padEnd(24)}${cells.map((c) => c.padStart(9)).join('')}`);
  }
  log();
  log(
    `requests            ${ok2xx} 2xx in ${r.duration} s: ${requestsPerSec.toFixed(1)} requests/s ` +
      `(${r.non2xx} non-2xx, ${r.errors} errors, ${r.resets} resets)`,
  );
  log(
    `latency (autocannon histogram, 1 ms resolution)  p50 ${lat.p50} ms, p90 ${lat.p90} ms, p97.5 ${lat.p97_5} ms, ` +
      `p99 ${lat.p99} ms, max ${lat.max} ms`,
  );
  log(
    `latency (same responses, exact)  p50 ${ms(all.p50)} ms, p95 ${ms(p95)} ms, p99 ${ms(all.p99)} ms ` +
      `→ p95 ${p95Ok ? 'within' : 'ABOVE'} the ${P95_TARGET_MS} ms objective`,
  );
  log(
    `lifecycles          ${load.completed} completed in the run (${lifecyclesPerSec.toFixed(1)}/s), ` +
      `${drained.finished} finished after it, final payout drain ${(drained.settleMs / 1000).toFixed(2)} s`,
  );
  log(
    `transitions         ${stats.transitions} committed in ${(stats.wallMs / 1000).toFixed(2)} s: ` +
      `${transitionsPerSec.toFixed(1)} committed transitions/s (${stats.commands} commands, ${stats.events} events, ` +
      `${stats.settlementsSucceeded} payouts settled)`,
  );
  log(
    `server process      CPU ${(stats.cpuMs / 1000).toFixed(1)} s (${(stats.cpuMs / stats.commands).toFixed(3)} ms per ` +
      `command, ${((stats.cpuMs / Math.max(1, ok2xx)) * 1000).toFixed(0)} µs per request), event loop busy ` +
      `${(stats.eventLoopUtilization * 100).toFixed(0)} %, loop delay p50 ${ms(stats.eventLoopDelayMs.p50)} / p99 ` +
      `${ms(stats.eventLoopDelayMs.p99)} / max ${ms(stats.eventLoopDelayMs.max)} ms, pool busy max ` +
      `${stats.pool.maxBusy}/${stats.pool.size}, waiting max ${stats.pool.maxWaiting}`,
  );
  log(
    opts.inProcess
      ? `load generator      in the same process (its CPU is in the figure above)`
      : `load generator      CPU ${(clientCpuMs / 1000).toFixed(1)} s (autocannon, its own process)`,
  );
  log(`commands            ${commandsPerSec.toFixed(1)} committed commands/s`);
  if (opts.kafka) {
    log(
      outboxDelay
        ? `outbox → Kafka      ${stats.outbox.published} events acknowledged (${eventsPublishedPerSec.toFixed(1)}/s), ` +
            `delay from the committing transaction p50 ${ms(outboxDelay.p50)} ms, p90 ${ms(outboxDelay.p90)} ms, ` +
            `p99 ${ms(outboxDelay.p99)} ms, max ${ms(outboxDelay.max)} ms`
        : 'outbox → Kafka      no event published in the measured window',
    );
  }
  logTpcb(log, tpcb, transitionsPerSec, 'R_http');
  for (const p of problems) log(`FAIL ${p}`);

  log(
    JSON.stringify({
      bench: opts.kafka ? 'kafka' : 'http',
      mode: opts.inProcess ? 'in-process' : 'child-process',
      commandsPerSec: round(commandsPerSec),
      ...(opts.kafka
        ? {
            eventsPublished: stats.outbox.published,
            eventsPublishedPerSec: round(eventsPublishedPerSec),
            outboxDelayP50Ms: outboxDelay ? round(outboxDelay.p50) : null,
            outboxDelayP99Ms: outboxDelay ? round(outboxDelay.p99) : null,
          }
        : {}),
      connections: opts.connections,
      durationS: r.duration,
      pool: poolSize,
      requests: ok2xx,
      requestsPerSec: round(requestsPerSec),
      p50Ms: lat.p50,
      p95Ms: round(p95),
      p99Ms: lat.p99,
      p95TargetMs: P95_TARGET_MS,
      p95Ok,
      perStepP95Ms: Object.fromEntries(STEPS.map((s) => [s, round(load.steps.summary(s).p95)])),
      lifecycles: load.completed,
      lifecyclesPerSec: round(lifecyclesPerSec),
      transitions: stats.transitions,
      transitionsPerSec: round(transitionsPerSec),
      serverCpuMsPerRequest: round(stats.cpuMs / Math.max(1, ok2xx), 3),
      serverEventLoopUtilization: round(stats.eventLoopUtilization),
      tpcbTps: tpcb ? round(tpcb.tps) : null,
      pgbench: tpcb?.command ?? null,
      R_http: ratio === null ? null : round(ratio, 4),
      violations: check.violations,
      ok: problems.length === 0,
    }),
  );
  return problems.length === 0 ? 0 : 1;
}

runMain(main);
