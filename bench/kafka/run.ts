/**
 * Kafka mode next to HTTP mode and TPC-B, in one run: bench/http/run.ts twice with the same load — first the API
 * applying commands in process (HTTP mode), then api → Kafka commands topic → worker → PostgreSQL with the outbox
 * publishing to the events topic (Kafka mode) — and pgbench TPC-B after the second. Prints commands/s of both, their
 * ratio, the outbox's delay from commit to acknowledged publication (p50/p99) and R = transitions/s ÷ TPC-B tps.
 * Flags are those of bench/http (--connections, --duration, --warmup, --pgbench-seconds); see bench/README.md.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runMain } from '../engine/pgbench.js';

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
const log = (line = '') => console.log(line);

function run(label: string, args: string[]): Promise<Summary> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', httpBench, ...args], {
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
      resolve(JSON.parse(last) as Summary);
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const withoutPgbench = [...args.filter((a, i) => a !== '--pgbench-seconds' && args[i - 1] !== '--pgbench-seconds')];
  const http = await run('http', [...withoutPgbench, '--pgbench-seconds', '0']);
  const kafka = await run('kafka', [...args, '--kafka']);
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
  log(`  Kafka ÷ HTTP commands/s: ${ratio.toFixed(2)} (target ≥ 1)`);
  log(
    `  outbox commit → acknowledged publish: p50 ${kafka.outboxDelayP50Ms ?? '-'} ms, p99 ${kafka.outboxDelayP99Ms ?? '-'} ms ` +
      `at ${kafka.eventsPublishedPerSec ?? 0} events/s (target p99 < 100 ms at 1,000 events/s)`,
  );
  if (tps) log(`  TPC-B ${tps} tps`);
  log(
    JSON.stringify({
      bench: 'kafka',
      httpCommandsPerSec: http.commandsPerSec,
      kafkaCommandsPerSec: kafka.commandsPerSec,
      kafkaOverHttp: Math.round(ratio * 1000) / 1000,
      outboxDelayP50Ms: kafka.outboxDelayP50Ms ?? null,
      outboxDelayP99Ms: kafka.outboxDelayP99Ms ?? null,
      eventsPublishedPerSec: kafka.eventsPublishedPerSec ?? null,
      tpcbTps: tps,
      R_kafka: tps ? Math.round((kafka.transitionsPerSec / tps) * 10_000) / 10_000 : null,
      R_http: tps ? Math.round((http.transitionsPerSec / tps) * 10_000) / 10_000 : null,
      violations: http.violations + kafka.violations,
      ok: http.ok && kafka.ok,
    }),
  );
  return http.ok && kafka.ok ? 0 : 1;
}

runMain(main);
