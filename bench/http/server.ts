import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Database } from '../../src/adapters/db/database.js';
import type { Engine } from '../../src/main.js';
import { LatencyRecorder, type LatencySummary } from '../engine/latency.js';
import { finalStates } from '../engine/lifecycle.js';
import { openThrowawayEngine } from '../engine/throwawayEngine.js';

export interface ServerSettings {
  databaseUrl: string;
  poolSize: number;
  jwtSecret: string;
  /** Kafka mode: the KAFKA_* variables; the server then also runs the worker and outbox roles. */
  kafka?: Record<string, string>;
}

/** What the server process committed between startRecording() and stopRecording(). */
export interface ServerStats {
  /** Server-side wall time of the window. */
  wallMs: number;
  /** Commands committed (a duplicate or a rejection is not a commit). */
  commands: number;
  /** Committed commands that moved the escrow or one of its settlements to another state. */
  transitions: number;
  events: number;
  rejected: number;
  /** The first rejections, `type: code`. */
  rejections: string[];
  settlementsSucceeded: number;
  settlementsFailed: number;
  /** CommandHandler.handle() time per command type (load → decide → commit, retries included). */
  handler: Record<string, LatencySummary>;
  /** CPU time of the server's node process in the window (user + system). */
  cpuMs: number;
  /** Share of the window the server's event loop was busy (0..1). */
  eventLoopUtilization: number;
  /** Event-loop delay of the server process: how late a timer callback ran (beyond its 10 ms interval). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Pool figures sampled every 100 ms: max requests waiting for a connection, max connections checked out. */
  pool: { maxWaiting: number; maxBusy: number; size: number };
  /** Kafka mode: events published (acknowledged) and their delay from the committing transaction, ms. */
  outbox: { published: number; delay: LatencySummary | null };
}

export interface Unfinished {
  id: string;
  status: string;
  buyerId: string;
  sellerId: string;
  reference: string;
}

export interface ServerCheck {
  violations: number;
  problems: string[];
  escrows: Record<string, number>;
  settlements: Record<string, number>;
}

/** The API process as the bench drives it, in this process or in a child (see child.ts). */
export interface BenchServer {
  port: number;
  schema: string;
  pid: number;
  startRecording(): Promise<void>;
  stopRecording(): Promise<ServerStats>;
  /** Resolves once no escrow command (settlement results aside) committed or failed for `quietMs`, or after `maxMs`. */
  quiesce(quietMs: number, maxMs: number): Promise<void>;
  /** Escrows not RELEASED. */
  unfinished(): Promise<Unfinished[]>;
  /** Waits until no settlement is PENDING; resolves to the time it took, or rejects after `maxMs`. */
  settled(maxMs: number): Promise<number>;
  /** engine.verify() and the final states of escrows and settlements. */
  check(): Promise<ServerCheck>;
  /** Stops the engine, closes the pool and drops the schema. */
  close(): Promise<void>;
}

const RESOLUTION_MS = 10;

/** Settlement results are committed by the settlements role, not by an HTTP request. */
const WORKER_COMMANDS = new Set(['RecordSettlementResult']);

/**
 * The API and settlements roles on a fresh, migrated schema of `databaseUrl`: silent logs, the SANDBOX rail, a pool of
 * `poolSize`, an HS256 secret the bench mints its tokens with, and rate limits far above what the bench sends.
 */
export async function startBenchServer(s: ServerSettings): Promise<BenchServer> {
  const t = await openThrowawayEngine(s.databaseUrl, 'bench_http', {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_POOL_SIZE: String(s.poolSize),
    JWT_SECRET: s.jwtSecret,
    RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
    // Kafka mode: the bench's requests wait for their outcome rather than take a 202
    ...(s.kafka ? { ...s.kafka, COMMAND_REPLY_TIMEOUT_MS: '60000' } : {}),
  });
  try {
    const { port } = await t.engine.start(
      s.kafka ? ['api', 'worker', 'outbox', 'settlements'] : ['api', 'settlements'],
    );
    if (!port) throw new Error('the api role did not listen');
    return instrument(t.engine, t.db, t.schema, port, () => t.close());
  } catch (err) {
    await t.close().catch(() => undefined);
    throw err;
  }
}

function instrument(
  engine: Engine,
  db: Database,
  schema: string,
  port: number,
  dropAll: () => Promise<void>,
): BenchServer {
  let recording = false;
  let stats = emptyStats();
  let handler = new LatencyRecorder();
  let outbox = new LatencyRecorder();
  let lastRequestCommand = performance.now();
  engine.onOutboxPublished((delays) => {
    if (!recording) return;
    for (const d of delays) outbox.add('publish', d);
  });
  engine.handler.observe({
    committed: (h, ms) => {
      if (!WORKER_COMMANDS.has(h.result.type)) lastRequestCommand = performance.now();
      if (!recording) return;
      stats.commands++;
      stats.events += h.events.length;
      const settled = h.events.some((e) => e.type === 'SettlementSucceeded' || e.type === 'SettlementFailed');
      if (h.result.fromStatus !== h.result.toStatus || settled) stats.transitions++;
      for (const e of h.events) {
        if (e.type === 'SettlementSucceeded') stats.settlementsSucceeded++;
        if (e.type === 'SettlementFailed') stats.settlementsFailed++;
      }
      handler.add(h.result.type, ms);
    },
    rejected: (env, err) => {
      lastRequestCommand = performance.now();
      if (!recording) return;
      stats.rejected++;
      if (stats.rejections.length < 10) stats.rejections.push(`${env.type}: ${err.code}`);
    },
  });

  let started = 0;
  let cpu0 = process.cpuUsage();
  let elu0: EventLoopUtilization = performance.eventLoopUtilization();
  // The histogram holds the time between two ticks of a RESOLUTION_MS timer: the delay is what exceeds it.
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  let poolTimer: NodeJS.Timeout | null = null;

  return {
    port,
    schema,
    pid: process.pid,
    startRecording() {
      stats = emptyStats();
      handler = new LatencyRecorder();
      outbox = new LatencyRecorder();
      recording = true;
      started = performance.now();
      cpu0 = process.cpuUsage();
      elu0 = performance.eventLoopUtilization();
      delay.reset();
      delay.enable();
      poolTimer = setInterval(() => {
        const p = db.poolStats();
        stats.pool.maxWaiting = Math.max(stats.pool.maxWaiting, p.waiting);
        stats.pool.maxBusy = Math.max(stats.pool.maxBusy, p.total - p.idle);
        stats.pool.size = Math.max(stats.pool.size, p.total);
      }, 100);
      return Promise.resolve();
    },
    stopRecording() {
      recording = false;
      if (poolTimer) clearInterval(poolTimer);
      delay.disable();
      const cpu = process.cpuUsage(cpu0);
      const out: ServerStats = {
        ...stats,
        wallMs: performance.now() - started,
        cpuMs: (cpu.user + cpu.system) / 1000,
        eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
        eventLoopDelayMs: {
          p50: late(delay.percentile(50)),
          p99: late(delay.percentile(99)),
          max: late(delay.max),
        },
        handler: Object.fromEntries(handler.labels().map((l) => [l, handler.summary(l)])),
        outbox: outbox.labels().length
          ? { published: outbox.summary('publish').count, delay: outbox.summary('publish') }
          : { published: 0, delay: null },
      };
      return Promise.resolve(out);
    },
    async quiesce(quietMs, maxMs) {
      const until = performance.now() + maxMs;
      while (performance.now() < until && performance.now() - lastRequestCommand < quietMs) {
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async unfinished() {
      const { rows } = await db.query<Unfinished>(
        `SELECT id, status, buyer_id AS "buyerId", seller_id AS "sellerId", payment_reference AS reference
           FROM escrows WHERE status <> 'RELEASED' ORDER BY created_at`,
      );
      return rows;
    },
    async settled(maxMs) {
      const t = performance.now();
      for (;;) {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM settlements WHERE status = 'PENDING'`,
        );
        if (rows[0]!.n === 0) return performance.now() - t;
        if (performance.now() - t > maxMs) throw new Error(`${rows[0]!.n} settlements still PENDING after ${maxMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async check() {
      const report = await engine.verify();
      const problems = report.violations.slice(0, 20).map((v) => `invariant: ${v.escrowId ?? '-'}: ${v.problem}`);
      if (report.violations.length > 20) problems.push(`… and ${report.violations.length - 20} more violations`);
      return { violations: report.violations.length, problems, ...(await finalStates(db)) };
    },
    close: dropAll,
  };
}

function emptyStats(): Omit<
  ServerStats,
  'wallMs' | 'cpuMs' | 'eventLoopUtilization' | 'eventLoopDelayMs' | 'handler' | 'outbox'
> {
  return {
    commands: 0,
    transitions: 0,
    events: 0,
    rejected: 0,
    rejections: [],
    settlementsSucceeded: 0,
    settlementsFailed: 0,
    pool: { maxWaiting: 0, maxBusy: 0, size: 0 },
  };
}
