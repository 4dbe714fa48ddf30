import { parseOptions as parseEngineOptions, type BenchOptions } from '../engine/options.js';

/** HTTP bench settings: command-line flags win over environment variables, which win over the defaults. */
export interface HttpBenchOptions {
  /** autocannon connections: lifecycles in flight at once (and the lower bound of the server's pool). */
  connections: number;
  /** Seconds of the measured phase. */
  duration: number;
  /** Seconds of an unmeasured run before it (JIT, pool, caches); 0 skips it. */
  warmup: number;
  /** Runs the API in this process instead of a child process (compare the two; see bench/README.md). */
  inProcess: boolean;
  /** Kafka mode: commands through the commands topic to a worker, events to the events topic (bench/kafka). */
  kafka: boolean;
  databaseUrl: string;
  /** What bench/engine/pgbench.ts runTpcb needs (pgbench.seconds 0 skips TPC-B and R_http). */
  tpcb: BenchOptions;
}

const USAGE = `usage: npm run bench:http -- [--connections 32] [--duration 20] [--warmup 3] [--pgbench-seconds 20] [--in-process] [--kafka]
  --kafka: Kafka mode (KAFKA_BROKERS, else a real broker started by ci/kafka/broker.sh); see npm run bench:kafka
  env: BENCH_HTTP_CONNECTIONS, BENCH_HTTP_DURATION, BENCH_HTTP_WARMUP, BENCH_HTTP_IN_PROCESS=1,
       BENCH_DATABASE_URL, BENCH_PGBENCH_SECONDS, BENCH_PGBENCH_CLIENTS (8), BENCH_PGBENCH_THREADS (2),
       BENCH_PGBENCH_SCALE (10), BENCH_PGBENCH_DB (bench_pgbench), PGBENCH (pgbench binary)`;

const VALUED = ['connections', 'duration', 'warmup', 'pgbench-seconds'] as const;
type Valued = (typeof VALUED)[number];

function parseFlags(argv: readonly string[]): {
  values: Partial<Record<Valued, string>>;
  inProcess: boolean;
  kafka: boolean;
} {
  const values: Partial<Record<Valued, string>> = {};
  let inProcess = false;
  let kafka = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    if (arg === '--in-process') {
      inProcess = true;
      continue;
    }
    if (arg === '--kafka') {
      kafka = true;
      continue;
    }
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[1] as Valued | undefined;
    if (!m || !name || !VALUED.includes(name)) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    values[name] = value;
  }
  return { values, inProcess, kafka };
}

function int(label: string, raw: string | undefined, def: number, min: number): number {
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${label} must be an integer >= ${min}, got ${raw}`);
  return v;
}

export function parseHttpOptions(argv: readonly string[], env: NodeJS.ProcessEnv): HttpBenchOptions {
  const { values: f, inProcess, kafka } = parseFlags(argv);
  const connections = int('connections', f.connections ?? env.BENCH_HTTP_CONNECTIONS, 32, 1);
  // The engine bench's parser reads the database URL and the pgbench settings from the same variables.
  const engine = parseEngineOptions([], { ...env, BENCH_N: undefined, N: undefined, BENCH_C: undefined, C: undefined });
  const tpcb: BenchOptions = {
    ...engine,
    c: connections,
    pgbench: {
      ...engine.pgbench,
      seconds: int('pgbench seconds', f['pgbench-seconds'] ?? env.BENCH_PGBENCH_SECONDS, 20, 0),
    },
  };
  return {
    connections,
    duration: int('duration', f.duration ?? env.BENCH_HTTP_DURATION, 20, 1),
    warmup: int('warmup', f.warmup ?? env.BENCH_HTTP_WARMUP, 3, 0),
    inProcess: inProcess || env.BENCH_HTTP_IN_PROCESS === '1' || env.BENCH_HTTP_IN_PROCESS === 'true',
    kafka,
    databaseUrl: engine.databaseUrl,
    tpcb,
  };
}
