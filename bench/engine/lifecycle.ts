import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/adapters/db/database.js';
import type { Actor } from '../../src/domain/index.js';
import type { Engine } from '../../src/main.js';
import { LatencyRecorder } from './latency.js';
import { openThrowawayEngine, type ThrowawayEngine } from './throwawayEngine.js';

export type BenchEngine = ThrowawayEngine;

/** An engine with silent logs and the SANDBOX rail on a fresh, migrated schema of `url`, pool size `poolSize`. */
export function openBenchEngine(url: string, poolSize: number): Promise<BenchEngine> {
  return openThrowawayEngine(url, 'bench', {
    DATABASE_POOL_SIZE: String(poolSize),
    JWT_SECRET: 'bench-'.padEnd(64, 'x'),
  });
}

export interface LifecycleStats {
  escrows: number;
  wallMs: number;
  /** Commands committed (a duplicate or a rejection is not a commit). */
  commands: number;
  /** Committed commands that changed the escrow's status (create counts: none → AWAIT_FUNDS). */
  transitions: number;
  /** Domain events appended (escrow versions added). */
  events: number;
  rejected: number;
  /** CommandHandler.handle() time per command type: load → decide → commit, retries included. */
  handler: LatencyRecorder;
  /** The call the bench makes per lifecycle step, as a caller of the engine sees it. */
  steps: LatencyRecorder;
  settlements: { succeeded: number; retrying: number; failed: number };
}

/** One escrow, its amount never a magic sandbox amount (tails 02, 13, 14, 15 fail on purpose). */
async function lifecycle(engine: Engine, runId: string, i: number, steps: LatencyRecorder): Promise<void> {
  const buyer: Actor = { id: `bench-buyer-${i % 97}`, role: 'user' };
  const seller: Actor = { id: `bench-seller-${i % 89}`, role: 'user' };
  let t = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    steps.add(step, now - t);
    t = now;
  };
  const created = await engine.service.create(buyer, {
    offerId: `bench-${runId}-${i}`,
    buyerId: buyer.id,
    sellerId: seller.id,
    rail: 'SANDBOX',
    currency: 'USD',
    amount: String(10_000 + (i % 50) * 100),
  });
  lap('create');
  const id = created.escrow.id;
  const paid = await engine.simulator.pay(id);
  lap('pay');
  if (paid.outcome.status !== 'processed' || paid.outcome.outcome !== 'FUNDS_HELD') {
    throw new Error(`payment of ${id} was not applied: ${JSON.stringify(paid.outcome)}`);
  }
  await engine.service.execute('MarkDelivered', id, seller, { title: 'Bench delivery' });
  lap('deliver');
  const confirmed = await engine.service.execute('ConfirmDelivery', id, buyer, {});
  lap('confirm');
  if (confirmed.escrow.status !== 'RELEASED') throw new Error(`escrow ${id} is ${confirmed.escrow.status}`);
  // The payout is settled by the settlements role running beside the lifecycles, as in production.
}

/**
 * Runs `count` lifecycles with `concurrency` in flight while the settlements role runs, until every payout settled. With `measure` false
 * (warm-up) nothing is recorded. Throws the first error after every lifecycle in flight has finished.
 */
export async function runLifecycles(
  engine: Engine,
  count: number,
  concurrency: number,
  measure: boolean,
  signal: AbortSignal,
): Promise<LifecycleStats> {
  const runId = randomBytes(4).toString('hex');
  const stats: LifecycleStats = {
    escrows: 0,
    wallMs: 0,
    commands: 0,
    transitions: 0,
    events: 0,
    rejected: 0,
    handler: new LatencyRecorder(),
    steps: new LatencyRecorder(),
    settlements: { succeeded: 0, retrying: 0, failed: 0 },
  };
  let recording = measure;
  engine.handler.observe({
    committed: (h, ms) => {
      if (!recording) return;
      stats.commands++;
      stats.events += h.events.length;
      const settled = h.events.some((e) => e.type === 'SettlementSucceeded' || e.type === 'SettlementFailed');
      if (h.result.fromStatus !== h.result.toStatus || settled) stats.transitions++;
      stats.handler.add(h.result.type, ms);
      for (const e of h.events) {
        if (e.type === 'SettlementSucceeded') stats.settlements.succeeded++;
        if (e.type === 'SettlementFailed') stats.settlements.failed++;
      }
    },
    rejected: () => {
      if (recording) stats.rejected++;
    },
  });
  let next = 0;
  // An object, not a `let`: TypeScript does not see the workers' assignments and would narrow a `let` to null.
  const run: { failure: Error | null } = { failure: null };
  const worker = async () => {
    while (run.failure === null && !signal.aborted) {
      const i = next++;
      if (i >= count) return;
      try {
        await lifecycle(engine, runId, i, stats.steps);
        stats.escrows++;
      } catch (err) {
        run.failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  const started = performance.now();
  await engine.start(['settlements']);
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (run.failure === null && !signal.aborted) {
      // The run ends when the last payout is settled: wait for the settlements role to drain.
      const t = performance.now();
      for (;;) {
        const { rows } = await engine.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM settlements WHERE status = 'PENDING'`,
        );
        if (rows[0]!.n === 0 || signal.aborted) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      if (measure) stats.steps.add('settle (final drain)', performance.now() - t);
    }
  } finally {
    await engine.stop();
  }
  stats.wallMs = performance.now() - started;
  recording = false;
  if (run.failure) throw run.failure;
  if (signal.aborted) throw new Error('interrupted');
  return stats;
}

/** Every escrow RELEASED and every settlement SUCCEEDED: the lifecycle really completed, not just returned. */
export async function finalStates(
  db: Database,
): Promise<{ escrows: Record<string, number>; settlements: Record<string, number> }> {
  const count = async (table: 'escrows' | 'settlements') => {
    const { rows } = await db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM ${table} GROUP BY status ORDER BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  };
  return { escrows: await count('escrows'), settlements: await count('settlements') };
}
