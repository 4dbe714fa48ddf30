/** Bench settings: command-line flags win over environment variables, which win over the defaults. */
export interface BenchOptions {
  /** Escrows taken through the whole lifecycle in the measured phase. */
  n: number;
  /** Lifecycles in flight at once (and the lower bound of the connection pool). */
  c: number;
  /** Escrows run before the measured phase (JIT, pool, caches); not counted in any figure. */
  warmup: number;
  databaseUrl: string;
  pgbench: {
    /** 0 skips the TPC-B baseline (and R). */
    seconds: number;
    clients: number;
    threads: number;
    scale: number;
    database: string;
    bin: string;
  };
}

const USAGE = `usage: npm run bench:engine -- [--n 5000] [--c 64] [--warmup 100] [--pgbench-seconds 20]
  env: N / BENCH_N, C / BENCH_C, BENCH_WARMUP, BENCH_DATABASE_URL, BENCH_PGBENCH_SECONDS,
       BENCH_PGBENCH_CLIENTS (8), BENCH_PGBENCH_THREADS (2), BENCH_PGBENCH_SCALE (10),
       BENCH_PGBENCH_DB (bench_pgbench), PGBENCH (pgbench binary)`;

const FLAGS = ['n', 'c', 'warmup', 'pgbench-seconds'] as const;
type Flag = (typeof FLAGS)[number];

function parseFlags(argv: readonly string[]): Partial<Record<Flag, string>> {
  const out: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    const name = m?.[1] as Flag | undefined;
    if (!m || !name || !FLAGS.includes(name)) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
    out[name] = value;
  }
  return out;
}

function int(label: string, raw: string | undefined, def: number, min: number): number {
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`${label} must be an integer >= ${min}, got ${raw}`);
  return v;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const f = parseFlags(argv);
  return {
    n: int('N', f.n ?? env.BENCH_N ?? env.N, 5000, 1),
    c: int('C', f.c ?? env.BENCH_C ?? env.C, 64, 1),
    warmup: int('warmup', f.warmup ?? env.BENCH_WARMUP, 100, 0),
    databaseUrl: env.BENCH_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    pgbench: {
      seconds: int('pgbench seconds', f['pgbench-seconds'] ?? env.BENCH_PGBENCH_SECONDS, 20, 0),
      clients: int('BENCH_PGBENCH_CLIENTS', env.BENCH_PGBENCH_CLIENTS, 8, 1),
      threads: int('BENCH_PGBENCH_THREADS', env.BENCH_PGBENCH_THREADS, 2, 1),
      scale: int('BENCH_PGBENCH_SCALE', env.BENCH_PGBENCH_SCALE, 10, 1),
      database: env.BENCH_PGBENCH_DB || 'bench_pgbench',
      bin: env.PGBENCH || 'pgbench',
    },
  };
}
