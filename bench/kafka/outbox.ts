/**
 * The outbox publisher on its own, at a fixed event rate: lifecycles are started at a steady pace (open loop, so a
 * slow publisher cannot slow the load down) by an engine in this process that applies commands directly, and one
 * `escrow serve --roles outbox` process publishes their events to the events topic. Each event's delay from its
 * committing transaction to its publish mark (outbox.created_at → published_at: PostgreSQL's clock at both ends, the
 * mark written after the broker acknowledged) is read back from the database for the measured window.
 *
 * usage: npm run bench:kafka:outbox -- [--rate 1000] [--duration 15] [--warmup 3]
 *        (KAFKA_BROKERS, else a real broker via ci/kafka/broker.sh; BENCH_DATABASE_URL)
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Actor } from '../../src/domain/index.js';
import { parseOptions } from '../engine/options.js';
import { runMain } from '../engine/pgbench.js';
import { openThrowawayEngine } from '../engine/throwawayEngine.js';
import { startRoles } from './roles.js';
import { benchKafka, numberFlag } from './setup.js';

const log = (line = '') => console.log(line);
const SECRET = 'bench-outbox-'.padEnd(64, 'x');
/** EscrowCreated, EscrowFundsHeld, EscrowDelivered, DeliveryConfirmed, EscrowReleased (no settlements role here). */
const EVENTS_PER_LIFECYCLE = 5;

async function main(): Promise<number> {
  const rate = numberFlag('rate', 1000, { min: 1 });
  const duration = numberFlag('duration', 15, { min: 1 });
  const warmup = numberFlag('warmup', 3);
  const { databaseUrl } = parseOptions([], process.env);
  const cluster = await benchKafka('outbox-bench');
  log(`outbox bench: ${rate} events/s for ${duration} s (after ${warmup} s of warm-up), ` + `Kafka ${cluster.label}`);
  // Commands are applied in this process (no KAFKA_BROKERS here); only the outbox role speaks to Kafka.
  const t = await openThrowawayEngine(databaseUrl, 'bench_outbox', { DATABASE_POOL_SIZE: '40', JWT_SECRET: SECRET });
  const publisher = await startRoles('outbox', 'outbox', {
    NODE_ENV: 'development',
    ESCROW_RAILS: 'SANDBOX',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: t.schema,
    JWT_SECRET: SECRET,
    ...cluster.env,
  });
  const runId = randomBytes(3).toString('hex');
  let started = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let failed = 0;
  let firstError = '';
  const lifecycle = async (i: number) => {
    const buyer: Actor = { id: `bench-buyer-${i % 97}`, role: 'user' };
    const seller: Actor = { id: `bench-seller-${i % 89}`, role: 'user' };
    const { engine } = t;
    const created = await engine.service.create(buyer, {
      offerId: `outbox-${runId}-${i}`,
      buyerId: buyer.id,
      sellerId: seller.id,
      rail: 'SANDBOX',
      currency: 'USD',
      amount: String(10_000 + (i % 50) * 100),
    });
    const id = created.escrow.id;
    await engine.simulator.pay(id);
    await engine.service.execute('MarkDelivered', id, seller, { title: 'Bench delivery' });
    await engine.service.execute('ConfirmDelivery', id, buyer, {});
  };
  const now = async () => (await t.db.query<{ now: string }>('SELECT now()::text AS now')).rows[0]!.now;

  try {
    // Open loop: every 10 ms, start the lifecycles due by then, whatever is still in flight.
    const perMs = rate / EVENTS_PER_LIFECYCLE / 1000;
    const begin = performance.now();
    const end = begin + (warmup + duration) * 1000;
    let windowStart: string | null = null;
    const running = new Set<Promise<void>>();
    while (performance.now() < end) {
      const elapsed = performance.now() - begin;
      if (windowStart === null && elapsed >= warmup * 1000) windowStart = await now();
      while (started < elapsed * perMs) {
        const p = lifecycle(started++)
          .catch((err: unknown) => {
            failed++;
            firstError ||= err instanceof Error ? err.message : String(err);
          })
          .finally(() => {
            inFlight--;
            running.delete(p);
          });
        running.add(p);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
      }
      await sleep(10);
    }
    const windowEnd = await now();
    await Promise.all(running);
    const drainUntil = Date.now() + 120_000;
    const unpublished = async () =>
      (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0]!.n;
    while ((await unpublished()) > 0) {
      if (Date.now() > drainUntil) throw new Error(`${await unpublished()} events still unpublished after 120 s`);
      await sleep(50);
    }
    const { rows } = await t.db.query<{
      n: number;
      seconds: number;
      p50: number;
      p90: number;
      p99: number;
      max: number;
    }>(
      `WITH d AS (
         SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM outbox
          WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz)
       SELECT count(*)::int AS n, extract(epoch FROM $2::timestamptz - $1::timestamptz)::float8 AS seconds,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY ms) AS p90,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
              max(ms)::float8 AS max
         FROM d`,
      [windowStart, windowEnd],
    );
    const r = rows[0]!;
    const eventsPerSec = r.n / r.seconds;
    const report = await t.engine.verify();
    const met = r.p99 < 100 && eventsPerSec >= 0.98 * rate;
    log(
      `committed ${r.n} events in ${r.seconds.toFixed(2)} s (${eventsPerSec.toFixed(0)}/s; ${started} lifecycles, ` +
        `${failed} failed${firstError ? `: ${firstError}` : ''}, at most ${maxInFlight} in flight)`,
    );
    log(
      `commit → acknowledged publish: p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
        `max ${r.max.toFixed(1)} ms — target p99 < 100 ms at ${rate} events/s: ${met ? 'met' : 'NOT met'}`,
    );
    log(
      JSON.stringify({
        bench: 'kafka-outbox',
        targetEventsPerSec: rate,
        eventsPerSec: Math.round(eventsPerSec * 10) / 10,
        events: r.n,
        outboxDelayP50Ms: Math.round(r.p50 * 10) / 10,
        outboxDelayP90Ms: Math.round(r.p90 * 10) / 10,
        outboxDelayP99Ms: Math.round(r.p99 * 10) / 10,
        outboxDelayMaxMs: Math.round(r.max * 10) / 10,
        failedLifecycles: failed,
        violations: report.violations.length,
        targetMet: met,
        ok: failed === 0 && report.violations.length === 0,
      }),
    );
    return failed === 0 && report.violations.length === 0 ? 0 : 1;
  } finally {
    await publisher.stop();
    await t.close();
    cluster.close();
  }
}

runMain(main);
