/**
 * Outgoing webhooks: deliveries per second to a local receiver, and the commit-to-delivery delay.
 *
 * 1. Baseline: the same signed POSTs sent straight from the sender to the receiver, WEBHOOKS_CONCURRENCY in flight,
 *    no database: what this machine's HTTP path does.
 * 2. Drain: a backlog of committed events (N escrows created and paid while no `webhooks` role runs) is delivered by
 *    one `webhooks` role started afterwards; deliveries/s over the time until the last one was recorded.
 *    R = deliveries/s ÷ baseline POSTs/s.
 * 3. Delay: lifecycles started at a steady rate (open loop) with the role running; for each first attempt that
 *    delivered, the delay from the event's commit (outbox.created_at) to the recorded delivery (webhook_attempts.at),
 *    both PostgreSQL's clock.
 *
 * usage: npm run bench:webhooks -- [--n 2000] [--rate 200] [--duration 10]   (BENCH_DATABASE_URL)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpWebhookSender } from '../../src/adapters/webhooks/httpSender.js';
import type { Database } from '../../src/adapters/db/database.js';
import type { Actor } from '../../src/domain/index.js';
import type { Engine } from '../../src/main.js';
import { signedHeaders } from '../../src/workers/webhookDispatcher.js';
import { summarize } from '../engine/latency.js';
import { parseOptions } from '../engine/options.js';
import { runMain } from '../engine/pgbench.js';
import { openThrowawayEngine } from '../engine/throwawayEngine.js';
import { numberFlag } from '../kafka/setup.js';

const log = (line = '') => console.log(line);
const service: Actor = { id: 'bench-marketplace', role: 'service' };
const CONCURRENCY = 32;
const runId = Math.random().toString(16).slice(2, 8);

/** One escrow created and paid: EscrowCreated and EscrowFundsHeld committed (two messages for the endpoint). */
async function createdAndPaid(engine: Engine, i: number): Promise<void> {
  const buyer: Actor = { id: `bench-buyer-${i % 97}`, role: 'user' };
  const created = await engine.service.create(buyer, {
    offerId: `bench-${runId}-${i}`,
    buyerId: buyer.id,
    sellerId: `bench-seller-${i % 89}`,
    rail: 'SANDBOX',
    currency: 'USD',
    amount: String(10_000 + (i % 50) * 100),
  });
  const paid = await engine.simulator.pay(created.escrow.id);
  if (paid.outcome.status !== 'processed') throw new Error(`payment not processed: ${JSON.stringify(paid.outcome)}`);
}

async function receiver() {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { url, received: () => received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Signed POSTs straight to the receiver, CONCURRENCY in flight: the HTTP path without the database. */
async function baseline(url: string, count: number): Promise<number> {
  const sender = new HttpWebhookSender({ allowPrivate: true });
  const body = JSON.stringify({ type: 'EscrowCreated', data: { amount: '10000' } });
  const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      const m = {
        id: String(i),
        endpointId: 'e',
        url,
        eventId: `evt-${i}`,
        eventType: 'EscrowCreated',
        escrowId: 'x',
        body,
        attempts: 0,
        round: 0,
        secrets: [secret],
        createdAt: '',
      };
      const r = await sender.send({
        url,
        headers: signedHeaders(m, Math.floor(Date.now() / 1000), 'bench'),
        body,
        timeoutMs: 15_000,
      });
      if (r.kind !== 'response' || r.status !== 204) throw new Error(`baseline POST failed: ${JSON.stringify(r)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return count / ((performance.now() - started) / 1000);
}

/** Until every message is recorded delivered (the receiver answers before the worker records the attempt). */
async function settled(db: Database): Promise<void> {
  const pending = async () =>
    (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_messages WHERE status <> 'DELIVERED'`))
      .rows[0]!.n;
  while ((await pending()) > 0) await sleep(20);
}

async function main(): Promise<number> {
  const n = numberFlag('n', 2000, { min: 1, integer: true });
  const rate = numberFlag('rate', 200, { min: 1 });
  const duration = numberFlag('duration', 10, { min: 1 });
  const { databaseUrl } = parseOptions([], process.env);
  const rx = await receiver();
  const env = {
    DATABASE_POOL_SIZE: '40',
    JWT_SECRET: 'bench-webhooks-'.padEnd(64, 'x'),
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    WEBHOOKS_CONCURRENCY: String(CONCURRENCY),
  };
  const t = await openThrowawayEngine(databaseUrl, 'bench_webhooks', env);
  try {
    const { engine } = t;
    await engine.webhookEndpoints.create(service, { url: rx.url, description: 'bench receiver' });
    await baseline(rx.url, 500); // warm-up
    const basePerSec = await baseline(rx.url, n * 2);
    log(`baseline: ${basePerSec.toFixed(0)} signed POSTs/s straight to the receiver (${CONCURRENCY} in flight)`);

    // the backlog: N escrows created and paid (EscrowCreated, EscrowFundsHeld), no webhooks role yet
    let made = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = made++; i < n; i = made++) {
          await createdAndPaid(engine, i);
        }
      }),
    );
    // the planner's statistics on the young tables, as autovacuum keeps them in production (without them the claim
    // sorts the whole backlog instead of walking the due index)
    await t.db.query('ANALYZE outbox, webhook_messages, escrow_events');
    const backlog = n * 2;
    const before = rx.received();
    const started = performance.now();
    await engine.start(['webhooks']);
    while (rx.received() - before < backlog) await sleep(5);
    const drainSec = (performance.now() - started) / 1000;
    const perSec = backlog / drainSec;
    log(
      `drain: ${backlog} deliveries in ${drainSec.toFixed(2)} s = ${perSec.toFixed(0)} deliveries/s; R = ${(perSec / basePerSec).toFixed(3)} of the baseline`,
    );

    // the delay, with the role running: lifecycles at `rate` events/s (2 events each)
    await settled(t.db);
    const { rows: mark } = await t.db.query<{ id: string }>(
      'SELECT coalesce(max(id), 0)::text AS id FROM webhook_attempts',
    );
    const lifecycles = Math.round((rate / 2) * duration);
    const gap = 1000 / (rate / 2);
    const pending: Promise<unknown>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < lifecycles; i++) {
      const due = t0 + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(createdAndPaid(engine, n + i));
    }
    await Promise.all(pending);
    const expected = backlog + lifecycles * 2;
    while (rx.received() - before < expected) await sleep(5);
    await settled(t.db);
    const { rows } = await t.db.query<{ ms: number }>(
      `SELECT extract(epoch FROM a.at - o.created_at)::float8 * 1000 AS ms
         FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id JOIN outbox o ON o.event_id = m.event_id
        WHERE a.id > $1::bigint AND a.attempt = 1 AND a.outcome = 'DELIVERED'`,
      [mark[0]!.id],
    );
    const s = summarize(rows.map((r) => r.ms));
    log(
      `delay: ${s.count} deliveries at ${rate} events/s: commit-to-delivery p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`,
    );
    const { rows: bad } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_messages WHERE status <> 'DELIVERED'`,
    );
    const report = await engine.verify();
    const ok = bad[0]!.n === 0 && report.violations.length === 0 && s.count === lifecycles * 2;
    log(
      JSON.stringify({
        ok,
        baselinePerSec: Math.round(basePerSec),
        deliveriesPerSec: Math.round(perSec),
        r: Number((perSec / basePerSec).toFixed(3)),
        delayP50Ms: Number(s.p50.toFixed(1)),
        delayP99Ms: Number(s.p99.toFixed(1)),
      }),
    );
    return ok ? 0 : 1;
  } finally {
    await t.close();
    await rx.close();
  }
}

runMain(main);
