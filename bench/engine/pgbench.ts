import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { BenchOptions } from './options.js';

const run = promisify(execFile);

export interface TpcbResult {
  /** pgbench's "tps = … (without initial connection time)". */
  tps: number;
  latencyAvgMs: number | null;
  transactions: number | null;
  command: string;
}

/** libpq connection flags and environment for the server of `url` (password via PGPASSWORD, never argv). */
function connection(url: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const args = [
    '-h',
    u.hostname || '127.0.0.1',
    '-p',
    u.port || '5432',
    '-U',
    decodeURIComponent(u.username || 'postgres'),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'bench-pgbench' };
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  return { args, env };
}

/** Creates the dedicated pgbench database on the bench's server when it does not exist yet. */
async function ensureDatabase(url: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-pgbench' });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Parses the summary pgbench prints at the end of a run (PostgreSQL 14+ wording, and the older one). */
export function parsePgbenchOutput(stdout: string): Omit<TpcbResult, 'command'> {
  const tps =
    /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ??
    /tps = ([\d.]+) \(excluding connections establishing\)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps line:\n${stdout}`);
  const latency = /latency average = ([\d.]+) ms/.exec(stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  return {
    tps: Number(tps[1]),
    latencyAvgMs: latency ? Number(latency[1]) : null,
    transactions: processed ? Number(processed[1]) : null,
  };
}

/**
 * The baseline: TPC-B (pgbench's default script) on the same server. The pgbench database is initialised afresh
 * every run (`pgbench -i`), so every run measures the same table sizes without bloat from the previous one.
 */
export async function runTpcb(opts: BenchOptions, log: (line: string) => void): Promise<TpcbResult> {
  const p = opts.pgbench;
  const { args, env } = connection(opts.databaseUrl);
  await ensureDatabase(opts.databaseUrl, p.database);
  log(`pgbench: initialising ${p.database} at scale ${p.scale}`);
  await run(p.bin, ['-i', '-q', '-s', String(p.scale), ...args, p.database], { env, maxBuffer: 16 << 20 });
  await checkpoint(opts.databaseUrl);
  const benchArgs = ['-c', String(p.clients), '-j', String(p.threads), '-M', 'prepared', '-T', String(p.seconds)];
  const command = `${p.bin} ${[...benchArgs, ...args, p.database].join(' ')}`;
  log(`pgbench: ${command}`);
  const { stdout } = await run(p.bin, [...benchArgs, ...args, p.database], { env, maxBuffer: 16 << 20 });
  return { ...parsePgbenchOutput(stdout), command };
}

/**
 * Flushes dirty buffers before a measured phase so it does not pay for the previous phase's checkpoint.
 * Needs superuser or pg_checkpoint; without them the phase just runs without it.
 */
export async function checkpoint(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-checkpoint' });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
    return true;
  } catch {
    return false;
  } finally {
    await client.end();
  }
}

/** The TPC-B lines of a bench's report: the baseline, and R (named `label`) = transitions/s ÷ TPC-B tps. */
export function logTpcb(
  log: (line: string) => void,
  tpcb: TpcbResult | null,
  transitionsPerSec: number,
  label: string,
): void {
  if (!tpcb) {
    log(`TPC-B (pgbench)     skipped (pgbench seconds = 0), no ${label}`);
    return;
  }
  log(
    `TPC-B (pgbench)     ${tpcb.tps.toFixed(1)} tps (without initial connection time), latency avg ${tpcb.latencyAvgMs ?? '-'} ms`,
  );
  log(`${label.padEnd(20)}${(transitionsPerSec / tpcb.tps).toFixed(3)} = transitions/s ÷ TPC-B tps`);
}

/** Runs a bench's main and turns its result (or a crash) into the exit code. */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
