import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { mintToken } from '../src/http/auth.js';
import type { Database } from '../src/adapters/db/database.js';
import { RELEASED_LIFECYCLE, escrowInput } from './harness.js';
import { kafkaEnv, readEventsTopic, until } from './kafkaHarness.js';
import { freePort, freshPostgresDatabase, runCli, startRoles, type RoleProcess } from './processHarness.js';
import { suite } from './services.js';

/**
 * Kafka mode as separate processes — `escrow serve --roles api,settlements`, `--roles worker`, `--roles outbox` —
 * on one PostgreSQL database and one Kafka cluster. The worker and the outbox publisher are SIGKILLed at random
 * moments while lifecycles run, and restarted; afterwards every accepted command took effect exactly once, every
 * event is on the events topic in order per escrow, and `escrow verify` passes. Then two workers share the
 * partitions, and when one dies the other finishes the work.
 */

const SECRET = 'process-test-secret-'.padEnd(80, 'x');

suite('Kafka mode with api, worker and outbox as separate processes', ['postgres', 'kafka'], () => {
  let database: { url: string; db: Database; drop: () => Promise<void> };
  let env: Record<string, string>;
  let base: string;
  const procs = new Map<string, RoleProcess>();
  let buyer: string;
  let seller: string;
  let metricsPort: number;

  const start = async (name: string, roles: string, extra: Record<string, string> = {}) => {
    const p = await startRoles(name, roles, { ...env, ...extra });
    procs.set(name, p);
    return p;
  };

  before(async () => {
    database = await freshPostgresDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      ...(await kafkaEnv('procs')),
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '5',
      JWT_SECRET: SECRET,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
      COMMAND_REPLY_TIMEOUT_MS: '1500',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      OUTBOX_POLL_INTERVAL_MS: '200',
      ESCROW_RETRY_DELAY_MS: '200',
    };
    buyer = await mintToken(SECRET, { sub: 'buyer-p', role: 'user' }, '1h');
    seller = await mintToken(SECRET, { sub: 'seller-p', role: 'user' }, '1h');
    metricsPort = await freePort();
    await Promise.all([
      start('api', 'api,settlements'),
      start('worker', 'worker'),
      start('outbox', 'outbox', { METRICS_PORT: String(metricsPort) }),
    ]);
  });

  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.stop()));
    await database?.drop();
  });

  /** One HTTP step, retried with the same Idempotency-Key until it has its final answer. */
  async function step<T>(path: string, token: string | null, body: unknown, key: string): Promise<T> {
    for (let attempt = 0; attempt < 600; attempt++) {
      let res: Response;
      try {
        res = await fetch(base + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': key,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
      } catch {
        await sleep(100);
        continue;
      }
      const text = await res.text();
      if (res.status === 200 || res.status === 201) return JSON.parse(text) as T;
      // 202: accepted, outcome not there yet (the worker is down); 409 in flight; 5xx: retry, same key
      if (res.status === 202 || res.status >= 500 || text.includes('IDEMPOTENCY_KEY_IN_FLIGHT')) {
        await sleep(100);
        continue;
      }
      assert.fail(`${path}: ${res.status} ${text}`);
    }
    assert.fail(`${path}: no final answer`);
  }

  async function lifecycle(): Promise<string> {
    const k = randomUUID();
    const created = await step<{ id: string; payment: { reference: string } }>(
      '/api/escrow',
      buyer,
      escrowInput({ buyerId: 'buyer-p', sellerId: 'seller-p' }),
      `${k}-create`,
    );
    await step(`/api/sandbox/payments/${created.payment.reference}/succeed`, null, {}, `${k}-pay`);
    const delivered = await step<{ status: string }>(
      `/api/escrow/${created.id}/mark-delivered`,
      seller,
      { title: 'Keys sent' },
      `${k}-deliver`,
    );
    assert.equal(delivered.status, 'DELIVERED');
    const confirmed = await step<{ status: string }>(
      `/api/escrow/${created.id}/confirm-delivery`,
      buyer,
      {},
      `${k}-confirm`,
    );
    assert.equal(confirmed.status, 'RELEASED');
    return created.id;
  }

  async function runLifecycles(n: number, concurrency: number): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < n) {
          next++;
          ids.push(await lifecycle());
        }
      }),
    );
    return ids;
  }

  const count = async (sql: string, params: unknown[] = []) =>
    (await database.db.query<{ n: number }>(sql, params)).rows[0]!.n;

  it('SIGKILL of the worker and the outbox publisher at random moments: exactly once, in order, verify passes', async () => {
    let running = true;
    let kills = 0;
    const chaos = (async () => {
      while (running) {
        await sleep(400 + Math.random() * 1200);
        if (!running) break;
        const name = Math.random() < 0.6 ? 'worker' : 'outbox';
        await procs.get(name)!.kill();
        kills++;
        await sleep(100 + Math.random() * 500);
        await start(name, name, name === 'outbox' ? { METRICS_PORT: String(metricsPort) } : {});
      }
    })();
    const ids: string[] = [];
    try {
      // lifecycles until the chaos has killed something at least 4 times
      while (kills < 4 || ids.length < 24) ids.push(...(await runLifecycles(12, 4)));
    } finally {
      running = false;
      await chaos;
    }
    assert.ok(kills >= 3, `the run saw ${kills} kills`);

    // settlements and the outbox drain
    await until(
      'every payout settled',
      async () => (await count(`SELECT count(*)::int AS n FROM settlements WHERE status <> 'SUCCEEDED'`)) === 0,
    );
    await until(
      'the outbox drained',
      async () => (await count(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)) === 0,
    );

    // exactly once: each escrow has each event once, in the lifecycle's order
    for (const id of ids) {
      const { rows } = await database.db.query<{ type: string }>(
        'SELECT type FROM escrow_events WHERE escrow_id = $1 ORDER BY sequence',
        [id],
      );
      assert.deepEqual(
        rows.map((r) => r.type),
        RELEASED_LIFECYCLE,
        `escrow ${id}`,
      );
    }
    assert.equal(await count('SELECT count(*)::int AS n FROM escrows'), ids.length);
    assert.equal(await count('SELECT count(*)::int AS n FROM processed_commands WHERE rejected'), 0);

    // every event on the topic, first arrivals in sequence order per escrow (redeliveries allowed)
    const total = await count('SELECT count(*)::int AS n FROM escrow_events');
    const onTopic = await readEventsTopic(env, total);
    for (const id of ids) {
      const got = onTopic.get(id) ?? [];
      const seen = new Set<string>();
      const firsts = got.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId)).map((e) => e.sequence);
      assert.deepEqual(firsts, [1, 2, 3, 4, 5, 6], `escrow ${id}: ${JSON.stringify(got)}`);
    }

    const verified = await runCli(['verify'], { DATABASE_URL: database.url, JWT_SECRET: SECRET, LOG_LEVEL: 'warn' });
    assert.equal(verified.code, 0, verified.out);

    // the outbox process serves its own figures on METRICS_PORT
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.match(metrics, /outbox_publish_delay_seconds_count \d+/);
    assert.match(metrics, /kafka_produce_duration_seconds_count\{topic="[^"]+"\} \d+/);
  });

  it('two workers share the partitions; when one dies the other takes them over and finishes the work', async () => {
    await start('worker-b', 'worker');
    /** The partitions each live worker was last given (from its "joined the group" log line). */
    const assignments = () =>
      ['worker', 'worker-b']
        .map((name) => procs.get(name)!)
        .filter((p) => p.child.exitCode === null && p.child.signalCode === null)
        .map((p) => {
          const joins = p.output
            .filter((l) => l.includes('command worker joined the group'))
            .map((l) => JSON.parse(l) as { partitions: number[] });
          return joins.at(-1)?.partitions ?? [];
        });
    const kafka = new Kafka({
      clientId: 'procs-admin',
      brokers: env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const partitions = (
      await admin.fetchTopicMetadata({ topics: [env.KAFKA_COMMANDS_TOPIC!] })
    ).topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    await admin.disconnect();
    assert.ok(partitions.length >= 2, `the commands topic has ${partitions.length} partitions`);
    await until(
      'two members sharing every partition',
      () => {
        const a = assignments();
        const union = new Set(a.flat());
        return Promise.resolve(a.length === 2 && a.every((p) => p.length > 0) && union.size === partitions.length);
      },
      {
        why: () =>
          JSON.stringify(
            ['worker', 'worker-b'].map((n) =>
              procs
                .get(n)!
                .output.filter((l) => /group|rebalanc|kafka/i.test(l))
                .slice(-8),
            ),
          ),
      },
    );
    const shared = assignments();
    const all = shared.flat();
    assert.equal(new Set(all).size, all.length, `no partition assigned twice: ${JSON.stringify(shared)}`);
    const before = await runLifecycles(6, 3);
    assert.equal(before.length, 6);

    await procs.get('worker')!.kill();
    const ids = await runLifecycles(8, 4);
    // no command lost or applied twice across the rebalance: each escrow released, each event exactly once
    for (const id of [...before, ...ids]) {
      assert.equal(
        await count(`SELECT count(*)::int AS n FROM escrows WHERE id = $1 AND status = 'RELEASED'`, [id]),
        1,
      );
      const { rows } = await database.db.query<{ type: string }>(
        'SELECT type FROM escrow_events WHERE escrow_id = $1 ORDER BY sequence',
        [id],
      );
      const types = rows.map((r) => r.type);
      assert.deepEqual(types, RELEASED_LIFECYCLE.slice(0, types.length), `escrow ${id}: ${types.join()}`);
      assert.ok(types.length >= 5, `escrow ${id} released: ${types.join()}`);
    }
    await until('the survivor holding every partition', () => {
      const survivor = assignments();
      return Promise.resolve(
        survivor.length === 1 && [...survivor[0]!].sort((a, b) => a - b).join() === partitions.join(),
      );
    });
    const verified = await runCli(['verify'], { DATABASE_URL: database.url, JWT_SECRET: SECRET, LOG_LEVEL: 'warn' });
    assert.equal(verified.code, 0, verified.out);
  });
});
