import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { keyedCommandId } from '../src/http/idempotency.js';
import {
  ENGINE_KINDS,
  RELEASED_LIFECYCLE,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  escrowInput,
} from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';
import { kafkaEnv, until } from './kafkaHarness.js';
import { runCli } from './processHarness.js';
import { suite } from './services.js';

/**
 * Kafka mode in one process (api, worker and outbox roles): commands go through the commands topic, the API answers
 * with the worker's outcome, events arrive on the events topic with their headers, in order per escrow, and poison
 * messages go to the commands DLQ with their origin.
 */

interface EscrowJson {
  id: string;
  status: string;
  version: number;
  payment: { reference: string };
}

interface Received {
  key: string;
  partition: number;
  offset: string;
  headers: Record<string, string>;
  value: { eventId: string; type: string; escrowId: string; sequence: number };
}

const kind = ENGINE_KINDS.at(-1)!;

suite(`Kafka mode on ${kind}`, ['kafka'], () => {
  let s: TestServer;
  let env: Record<string, string>;
  let kafka: Kafka;
  let events: Consumer;
  let dlq: Consumer;
  const received: Received[] = [];
  const dead: { headers: Record<string, string>; value: string }[] = [];
  let buyer: string;
  let seller: string;

  const headersOf = (h: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(v)]));

  before(async () => {
    env = await kafkaEnv('e2e');
    s = await testServer(kind, env, ['api', 'worker', 'outbox']);
    buyer = await s.token('buyer-k', 'user');
    seller = await s.token('seller-k', 'user');
    kafka = new Kafka({
      clientId: 'kafka-e2e-reader',
      brokers: env.KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    events = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
    await events.connect();
    await events.subscribe({ topic: env.KAFKA_EVENTS_TOPIC!, fromBeginning: true });
    await events.run({
      eachMessage: ({ partition, message }) => {
        received.push({
          key: message.key!.toString(),
          partition,
          offset: message.offset,
          headers: headersOf(message.headers),
          value: JSON.parse(message.value!.toString()) as Received['value'],
        });
        return Promise.resolve();
      },
    });
    dlq = kafka.consumer({ groupId: `dlq-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
    await dlq.connect();
    await dlq.subscribe({ topic: `${env.KAFKA_COMMANDS_TOPIC!}.dlq`, fromBeginning: true });
    await dlq.run({
      eachMessage: ({ message }) => {
        dead.push({ headers: headersOf(message.headers), value: message.value?.toString() ?? '' });
        return Promise.resolve();
      },
    });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await events?.disconnect();
      await dlq?.disconnect();
      await s?.close();
    }
  });

  const create = (amount: string) =>
    s.call<EscrowJson>('POST', '/api/escrow', {
      token: buyer,
      body: escrowInput({ buyerId: 'buyer-k', sellerId: 'seller-k', amount }),
    });

  async function lifecycle(): Promise<string> {
    const created = await create('10000');
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'AWAIT_FUNDS');
    const id = created.body.id;
    const paid = await s.call('POST', `/api/sandbox/payments/${created.body.payment.reference}/succeed`);
    assert.equal(paid.status, 200, paid.text);
    const delivered = await s.call<EscrowJson>('POST', `/api/escrow/${id}/mark-delivered`, {
      token: seller,
      body: { title: 'Keys sent' },
    });
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal(delivered.body.status, 'DELIVERED');
    const confirmed = await s.call<EscrowJson>('POST', `/api/escrow/${id}/confirm-delivery`, {
      token: buyer,
      body: {},
    });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.body.status, 'RELEASED');
    await s.engine.settlementWorker.runOnce();
    return id;
  }

  it('the full lifecycle through the commands topic; every event on the events topic, in order, with headers', async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, () => lifecycle()));
    for (const id of ids) {
      const stored = await s.engine.readModel.events(id);
      await until(`events of ${id}`, () => received.filter((r) => r.key === id).length >= stored.length, {
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      const got = received.filter((r) => r.key === id);
      // once or more; deduplicated by event id, exactly the stored events, in sequence order
      const seen = new Set<string>();
      const unique = got.filter((r) => !seen.has(r.value.eventId) && seen.add(r.value.eventId));
      assert.deepEqual(
        unique.map((r) => r.value.eventId),
        stored.map((e) => e.eventId),
      );
      assert.deepEqual(
        unique.map((r) => r.value.sequence),
        stored.map((_, i) => i + 1),
      );
      assert.equal(new Set(got.map((r) => r.partition)).size, 1, 'one partition per escrow');
      for (const r of unique) {
        assert.equal(r.headers['event-id'], r.value.eventId);
        assert.equal(r.headers['event-type'], r.value.type);
        assert.equal(r.headers['aggregate-id'], id);
        assert.ok(r.headers['correlation-id']);
      }
      assert.deepEqual(
        unique.map((r) => r.value.type),
        RELEASED_LIFECYCLE,
      );
      await assertEscrowInvariants(s.engine, id);
    }
  });

  it('a refusal comes back from the worker as the problem, and is the command’s recorded outcome', async () => {
    const created = await create('500');
    assert.equal(created.status, 201, created.text);
    const key = { 'idempotency-key': `k-${randomUUID()}` };
    const refused = await s.call<{ code: string }>('POST', `/api/escrow/${created.body.id}/confirm-delivery`, {
      token: buyer,
      body: {},
      headers: key,
    });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(refused.body.code, 'INVALID_STATE_TRANSITION');
    const outcome = await s.call<{ status: string; error: { code: string } }>(
      'GET',
      `/api/commands/${keyedCommandId('buyer-k', key['idempotency-key'])}`,
      { token: buyer },
    );
    assert.equal(outcome.body.status, 'FAILED', outcome.text);
    assert.equal(outcome.body.error.code, 'INVALID_STATE_TRANSITION');
    const cancelled = await s.call<EscrowJson>('POST', `/api/escrow/${created.body.id}/cancel`, {
      token: seller,
      body: { reason: 'sold elsewhere' },
    });
    assert.equal(cancelled.body.status, 'CANCELLED', cancelled.text);
    await assertEscrowInvariants(s.engine, created.body.id);
  });

  it('/health checks the broker; /metrics has consumer lag, produce latency and outbox figures; escrow kafka lag', async () => {
    const health = await s.call<{ status: string; checks: Record<string, { status: string; detail?: string }> }>(
      'GET',
      '/health',
    );
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.checks.kafka?.status, 'ok', health.text);
    assert.match(health.body.checks.kafka?.detail ?? '', /broker/);
    const metrics = await s.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    for (const name of [
      `kafka_consumer_lag{topic="${env.KAFKA_COMMANDS_TOPIC}",partition="0"}`,
      `kafka_produce_duration_seconds_count{topic="${env.KAFKA_COMMANDS_TOPIC}"}`,
      `kafka_produce_duration_seconds_count{topic="${env.KAFKA_EVENTS_TOPIC}"}`,
      'outbox_publish_delay_seconds_count',
      'outbox_unpublished_events',
    ]) {
      assert.ok(metrics.text.includes(name), `${name} in /metrics`);
    }
    const lag = await runCli(['kafka', 'lag'], { ...env, LOG_LEVEL: 'silent' });
    assert.equal(lag.code, 0, lag.out);
    const report = JSON.parse(lag.out) as { total: number; partitions: { partition: number; lag: number }[] };
    assert.equal(report.total, 0, lag.out);
    assert.ok(report.partitions.length >= 1);
  });

  it('poison messages go to the commands DLQ with their origin; the worker carries on', async () => {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: env.KAFKA_COMMANDS_TOPIC!,
      messages: [
        { key: 'not-an-escrow', value: '{not json' },
        { key: 'x', value: JSON.stringify({ hello: 'world' }) },
      ],
    });
    await producer.disconnect();
    await until('two dead letters', () => dead.length >= 2, { timeoutMs: 20_000, intervalMs: 50 });
    const broken = dead.find((d) => d.value === '{not json')!;
    assert.ok(broken, JSON.stringify(dead));
    assert.equal(broken.headers['original-topic'], env.KAFKA_COMMANDS_TOPIC);
    assert.match(broken.headers['original-partition']!, /^\d+$/);
    assert.match(broken.headers['original-offset']!, /^\d+$/);
    assert.equal(broken.headers['original-key'], 'not-an-escrow');
    assert.match(broken.headers.error!, /not JSON/);
    assert.equal(broken.headers.attempts, '1');
    // and the worker still applies commands
    await assertEscrowInvariants(s.engine, await lifecycle());
  });
});
