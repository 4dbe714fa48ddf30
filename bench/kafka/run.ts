/**
 * Kafka mode next to HTTP mode and TPC-B, in one run:
 * 1. bench/http/run.ts twice with the same closed-loop load — first the API applying commands in process (HTTP mode),
 *    then api → Kafka commands topic → worker → PostgreSQL with the outbox publishing to the events topic (Kafka
 *    mode) — and pgbench TPC-B after the second;
 * 2. bench/kafka/drain.ts: one worker process applying a backlog already on the commands topic (the worker's own rate);
 * 3. bench/kafka/outbox.ts: the outbox publisher at a fixed 1,000 events/s (open loop), commit → acknowledged publish.
 * Prints commands/s of each against HTTP mode's, the outbox delays (p50/p99) and R = transitions/s ÷ TPC-B tps.
 * Flags are those of bench/http (--connections, --duration, --warmup, --pgbench-seconds), plus --escrows (drain) and
 * --rate (outbox); see bench/README.md. Kafka: KAFKA_BROKERS, else a real broker started for the run (ci/kafka/broker.sh).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runMain } from '../engine/pgbench.js';
import { startBroker } from './broker.js';

interface Summary {
  bench: string;
  commandsPerSec: number;
  transitionsPerSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  eventsPublishedPerSec?: number;
  outboxDelayP50Ms?: number | null;
  outboxDelayP99Ms?: number | null;
  tpcbTps: number | null;
  violations: number;
  ok: boolean;
}

const httpBench = fileURLToPath(new URL('../http/run.ts', import.meta.url));
const drainBench = fileURLToPath(new URL('./drain.ts', import.meta.url));
const outboxBench = fileURLToPath(new URL('./outbox.ts', import.meta.url));

interface DrainSummary {
  drainCommandsPerSec: number;
  ok: boolean;
}

interface OutboxSummary {
  eventsPerSec: number;
  outboxDelayP50Ms: number;
  outboxDelayP99Ms: number;
  targetMet: boolean;
  ok: boolean;
}
const log = (line = '') => console.log(line);

function run<T = Summary>(label: string, args: string[], script = httpBench): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = '';
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        log(`[${label}] ${line}`);
        if (line.startsWith('{')) last = line;
      }
    });
    child.on('exit', (code) => {
      if (!last) return reject(new Error(`${label} run printed no summary (exit ${code})`));
      resolve(JSON.parse(last) as T);
    });
  });
}

/** One real broker for every part of the run (KAFKA_BROKERS, else ci/kafka/broker.sh), stopped at the end. */
async function main(): Promise<number> {
  const broker = process.env.KAFKA_BROKERS ? null : startBroker();
  if (broker) process.env.KAFKA_BROKERS = broker.brokers; // the parts run as children and inherit it
  try {
    return await compare();
  } finally {
    broker?.stop();
  }
}

async function compare(): Promise<number> {
  const all = process.argv.slice(2);
  /** Takes `--name value` out of the arguments. */
  const take = (name: string): string[] => {
    const i = all.indexOf(`--${name}`);
    return i >= 0 ? all.splice(i, 2) : [];
  };
  const drainArgs = take('escrows');
  const outboxArgs = take('rate');
  const args = all;
  const withoutPgbench = [...args.filter((a, i) => a !== '--pgbench-seconds' && args[i - 1] !== '--pgbench-seconds')];
  const http = await run('http', [...withoutPgbench, '--pgbench-seconds', '0']);
  const kafka = await run('kafka', [...args, '--kafka']);
  const drain = await run<DrainSummary>('drain', drainArgs, drainBench);
  const outbox = await run<OutboxSummary>('outbox', outboxArgs, outboxBench);
  const drainRatio = drain.drainCommandsPerSec / http.commandsPerSec;
  const ratio = kafka.commandsPerSec / http.commandsPerSec;
  const tps = kafka.tpcbTps;
  log();
  log('Kafka mode against HTTP mode, same load, same database, same run');
  log(`  ${''.padEnd(28)}${'HTTP mode'.padStart(12)}${'Kafka mode'.padStart(12)}`);
  const row = (name: string, a: number | string, b: number | string) =>
    log(`  ${name.padEnd(28)}${String(a).padStart(12)}${String(b).padStart(12)}`);
  row('commands/s', http.commandsPerSec, kafka.commandsPerSec);
  row('committed transitions/s', http.transitionsPerSec, kafka.transitionsPerSec);
  row('requests/s', http.requestsPerSec, kafka.requestsPerSec);
  row(
    'request p50 / p95 ms',
    `${http.p50Ms} / ${Math.round(http.p95Ms)}`,
    `${kafka.p50Ms} / ${Math.round(kafka.p95Ms)}`,
  );
  if (tps) {
    row(
      'R = transitions/s ÷ TPC-B',
      (http.transitionsPerSec / tps).toFixed(3),
      (kafka.transitionsPerSec / tps).toFixed(3),
    );
  }
  log(`  Kafka ÷ HTTP commands/s, closed loop end to end: ${ratio.toFixed(2)} (target ≥ 1)`);
  log(
    `  one worker draining a backlog on the topic: ${drain.drainCommandsPerSec} commands/s = ${drainRatio.toFixed(2)} × HTTP mode`,
  );
  log(
    `  outbox commit → acknowledged publish: p50 ${outbox.outboxDelayP50Ms} ms, p99 ${outbox.outboxDelayP99Ms} ms at ` +
      `${outbox.eventsPerSec} events/s (open loop; target p99 < 100 ms at 1,000 events/s: ${outbox.targetMet ? 'met' : 'NOT met'})`,
  );
  log(
    `  outbox under the closed-loop Kafka run: p50 ${kafka.outboxDelayP50Ms ?? '-'} ms, p99 ${kafka.outboxDelayP99Ms ?? '-'} ms ` +
      `at ${kafka.eventsPublishedPerSec ?? 0} events/s`,
  );
  if (tps) log(`  TPC-B ${tps} tps`);
  log(
    JSON.stringify({
      bench: 'kafka',
      httpCommandsPerSec: http.commandsPerSec,
      kafkaCommandsPerSec: kafka.commandsPerSec,
      kafkaOverHttp: Math.round(ratio * 1000) / 1000,
      drainCommandsPerSec: drain.drainCommandsPerSec,
      drainOverHttp: Math.round(drainRatio * 1000) / 1000,
      outboxEventsPerSec: outbox.eventsPerSec,
      outboxDelayP50Ms: outbox.outboxDelayP50Ms,
      outboxDelayP99Ms: outbox.outboxDelayP99Ms,
      outboxTargetMet: outbox.targetMet,
      tpcbTps: tps,
      R_kafka: tps ? Math.round((kafka.transitionsPerSec / tps) * 10_000) / 10_000 : null,
      R_http: tps ? Math.round((http.transitionsPerSec / tps) * 10_000) / 10_000 : null,
      violations: http.violations + kafka.violations,
      ok: http.ok && kafka.ok && drain.ok && outbox.ok,
    }),
  );
  return http.ok && kafka.ok && drain.ok && outbox.ok ? 0 : 1;
}

runMain(main);
