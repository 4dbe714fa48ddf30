import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Kafka, Producer } from 'kafkajs';
import { pino } from 'pino';
import { createKafka } from '../src/adapters/kafka/client.js';
import { KafkaCommandConsumer } from '../src/adapters/kafka/commandConsumer.js';
import type { CommandSink } from '../src/app/ports/index.js';
import { isInfrastructureError } from '../src/adapters/db/database.js';
import { loadConfig } from '../src/config/index.js';
import { workerConsumerConfig } from '../src/composition/kafka.js';
import { RELEASED_LIFECYCLE, ENGINE_KINDS, assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';
import { kafkaEnv, until } from './kafkaHarness.js';
import { suite } from './services.js';

/**
 * The worker's pipeline against a real Kafka protocol endpoint, with faults injected around the real command handler:
 * a database outage is waited out with the command kept in place (never dead-lettered), an escrow's commands still
 * apply in order, and the group's committed offsets reach the end of the partitions only once every command applied.
 */
const kind = ENGINE_KINDS.at(-1)!;

suite(`Kafka worker pipeline on ${kind}`, ['kafka'], () => {
  let s: TestServer;
  let env: Record<string, string>;
  let worker: KafkaCommandConsumer;
  let producer: Producer;
  let kafka: Kafka;
  const outcomes: string[] = [];
  const applied: string[] = [];
  /** Attempts that failed as if PostgreSQL had gone away, per command id. */
  const outage = new Map<string, number>();
  let failNext = 0;

  before(async () => {
    env = await kafkaEnv('worker');
    s = await testServer(kind, env, ['api']);
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(64), ...env });
    kafka = createKafka(config.kafka!, pino({ level: 'silent' }));
    producer = kafka.producer();
    await producer.connect();
    const handler: CommandSink = {
      handle: async (command) => {
        if (failNext > 0) {
          failNext--;
          outage.set(command.commandId, (outage.get(command.commandId) ?? 0) + 1);
          throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        }
        const out = await s.engine.handler.handle(command);
        applied.push(`${command.escrowId}:${command.type}`);
        return out;
      },
    };
    worker = new KafkaCommandConsumer({
      consumer: () => kafka.consumer(workerConsumerConfig(config.kafka!)),
      producer,
      topic: env.KAFKA_COMMANDS_TOPIC!,
      handler,
      logger: pino({ level: 'silent' }),
      maxInFlight: 10,
      maxAttempts: 2,
      baseDelayMs: 20,
      onApplied: (o) => outcomes.push(o),
      isInfrastructureError,
    });
    await worker.start();
  });

  after(async () => {
    try {
      await worker.stop();
      await producer.disconnect();
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('an outage is waited out in place: never dead-lettered, the escrow’s commands applied in order, offsets committed', async () => {
    const buyer = await s.token('buyer-w', 'user');
    const seller = await s.token('seller-w', 'user');
    // the first 4 attempts fail as if the database were down (more than maxAttempts: an outage is not counted)
    failNext = 4;
    const created = await s.call<{ id: string; payment: { reference: string } }>('POST', '/api/escrow', {
      token: buyer,
      body: escrowInput({ buyerId: 'buyer-w', sellerId: 'seller-w' }),
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(
      [...outage.values()].reduce((a, b) => a + b, 0),
      4,
      'four failed attempts, then applied',
    );
    const id = created.body.id;
    const paid = await s.call('POST', `/api/sandbox/payments/${created.body.payment.reference}/succeed`);
    assert.equal(paid.status, 200, paid.text);
    const delivered = await s.call<{ status: string }>('POST', `/api/escrow/${id}/mark-delivered`, {
      token: seller,
      body: { title: 'sent' },
    });
    const confirmed = await s.call<{ status: string }>('POST', `/api/escrow/${id}/confirm-delivery`, {
      token: buyer,
      body: {},
    });
    assert.equal(delivered.status, 200, delivered.text);
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.body.status, 'RELEASED');
    assert.deepEqual(
      applied.filter((a) => a.startsWith(id)),
      [`${id}:CreateEscrow`, `${id}:MarkDelivered`, `${id}:ConfirmDelivery`],
    );
    assert.ok(!outcomes.includes('dead-lettered'), outcomes.join(','));
    await s.engine.settlementWorker.runOnce();
    const full = await s.call<{ events: { type: string }[] }>('GET', `/api/escrow/${id}?include=events`, {
      token: await s.token('ops', 'admin'),
    });
    assert.deepEqual(
      full.body.events.map((e) => e.type),
      RELEASED_LIFECYCLE,
    );

    // the group's committed offsets reach the end of every partition once the commands are applied
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topic = env.KAFKA_COMMANDS_TOPIC!;
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
      let behind: { partition: number; offset: string }[] = [];
      await until(
        'committed offsets at the end of every partition',
        async () => {
          const [group] = await admin.fetchOffsets({ groupId: env.KAFKA_GROUP_ID!, topics: [topic] });
          behind = group!.partitions.filter(
            (p) => (ends.get(p.partition) ?? '0') !== '0' && p.offset !== ends.get(p.partition),
          );
          return behind.length === 0;
        },
        { timeoutMs: 10_000, why: () => `${JSON.stringify(behind)} vs ${JSON.stringify([...ends])}` },
      );
    } finally {
      await admin.disconnect();
    }
  });
});
