import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import kafkajs, { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs';
import { PRODUCER_CONFIG, workerConsumerConfig } from '../src/composition/kafka.js';
import { loadConfig } from '../src/config/index.js';
import { assertDatabaseVerifies, escrowInput } from './harness.js';
import { testServer } from './httpHarness.js';
import { kafkaEnv, until } from './kafkaHarness.js';
import { runCli } from './processHarness.js';
import { suite } from './services.js';

/**
 * On a real broker (auto-creation off, as in production): `escrow kafka create-topics` creates the deployment guide's
 * topics with their partitions, retention, compression and delete cleanup policy, and changes nothing when re-run; the
 * service's producer is idempotent; no client creates a topic, so a missing one is a clear error naming the command,
 * and `/health` is unhealthy.
 */

const NINETY_DAYS_MS = String(90 * 86_400_000);

suite('Kafka topics on a real broker', ['kafka'], () => {
  let admin: Admin;
  let kafka: Kafka;

  before(async () => {
    kafka = new Kafka({
      clientId: 'topics-test',
      brokers: process.env.TEST_KAFKA_BROKERS!.split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
  });
  after(() => admin?.disconnect());

  it('escrow kafka create-topics: the deployment guide’s topics, described back from the broker; re-run is a no-op', async () => {
    const env = await kafkaEnv('create', { create: false });
    const cli = { ...env, LOG_LEVEL: 'silent' };
    const first = await runCli(['kafka', 'create-topics'], cli);
    assert.equal(first.code, 0, first.out);
    const commands = env.KAFKA_COMMANDS_TOPIC!;
    const events = env.KAFKA_EVENTS_TOPIC!;
    const expected: [string, number][] = [
      [commands, 6],
      [events, 12],
      [`${commands}.dlq`, 1],
      [`${events}.dlq`, 1],
    ];
    assert.deepEqual((JSON.parse(first.out) as { created: string[] }).created.sort(), expected.map(([t]) => t).sort());

    const { topics } = await admin.fetchTopicMetadata({ topics: expected.map(([t]) => t) });
    for (const [topic, partitions] of expected) {
      const meta = topics.find((t) => t.name === topic);
      assert.equal(meta?.partitions.length, partitions, `${topic} has ${partitions} partitions`);
      assert.ok(meta.partitions.every((p) => p.replicas.length === 1));
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: expected.map(([name]) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms', 'compression.type'],
      })),
    });
    for (const r of described.resources) {
      const values = Object.fromEntries(r.configEntries.map((c) => [c.configName, c.configValue]));
      assert.deepEqual(
        values,
        { 'cleanup.policy': 'delete', 'retention.ms': NINETY_DAYS_MS, 'compression.type': 'snappy' },
        r.resourceName,
      );
      for (const c of r.configEntries) assert.equal(c.isDefault, false, `${r.resourceName} ${c.configName} is set`);
    }

    const again = await runCli(['kafka', 'create-topics'], cli);
    assert.equal(again.code, 0, again.out);
    assert.deepEqual(JSON.parse(again.out), { created: [] });
    const after = await admin.fetchTopicMetadata({ topics: expected.map(([t]) => t) });
    assert.deepEqual(
      after.topics.map((t) => [t.name, t.partitions.length]).sort(),
      expected.map(([t, n]) => [t, n]).sort(),
    );
  });

  it('no client creates a topic: a missing one is an error naming escrow kafka create-topics; /health is error', async () => {
    assert.equal(PRODUCER_CONFIG.allowAutoTopicCreation, false);
    const config = loadConfig({ KAFKA_BROKERS: 'k:9092' }).kafka!;
    assert.equal(workerConsumerConfig(config).allowAutoTopicCreation, false);
    // (kafkajs's admin client never asks for auto-creation)

    const env = await kafkaEnv('missing', { create: false });
    const s = await testServer('pglite', env, ['api']);
    try {
      const health = await s.call<{ status: string; checks: { kafka?: { status: string; detail?: string } } }>(
        'GET',
        '/health',
      );
      assert.equal(health.body.status, 'error', health.text);
      assert.equal(health.body.checks.kafka?.status, 'error', health.text);
      assert.match(health.body.checks.kafka?.detail ?? '', /does not exist: run `escrow kafka create-topics`/);
      assert.ok(health.body.checks.kafka?.detail?.includes(env.KAFKA_COMMANDS_TOPIC!), health.text);

      const buyer = await s.token('buyer-t', 'user');
      await assert.rejects(
        s.engine.service.create(
          { id: 'buyer-t', role: 'user' },
          escrowInput({ buyerId: 'buyer-t', sellerId: 'seller-t' }),
        ),
        (err: Error) => {
          assert.equal(err.name, 'KafkaTopicMissing');
          assert.equal(
            err.message,
            `Kafka topic "${env.KAFKA_COMMANDS_TOPIC}" does not exist: run \`escrow kafka create-topics\``,
          );
          return true;
        },
      );
      const refused = await s.call('POST', '/api/escrow', {
        token: buyer,
        body: escrowInput({ buyerId: 'buyer-t', sellerId: 'seller-t' }),
      });
      assert.ok(refused.status >= 500, refused.text);
      await assert.rejects(s.engine.start(['worker']), /does not exist: run `escrow kafka create-topics`/);
      assert.ok(!(await admin.listTopics()).includes(env.KAFKA_COMMANDS_TOPIC!), 'the commands topic still missing');
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('the service’s producer is idempotent: what it writes carries a producer id and sequence numbers', async () => {
    assert.equal(PRODUCER_CONFIG.idempotent, true);
    const env = await kafkaEnv('idempotent');
    const s = await testServer('pglite', env, ['api', 'worker', 'outbox']);
    const seen: { topic: string; producerId: string; sequence: number }[] = [];
    const reader = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
    try {
      const buyer = await s.token('buyer-i', 'user');
      const created = await s.call('POST', '/api/escrow', {
        token: buyer,
        body: escrowInput({ buyerId: 'buyer-i', sellerId: 'seller-i' }),
      });
      assert.equal(created.status, 201, created.text);
      await reader.connect();
      await reader.subscribe({ topics: [env.KAFKA_COMMANDS_TOPIC!, env.KAFKA_EVENTS_TOPIC!], fromBeginning: true });
      await reader.run({
        eachMessage: ({ topic, message }) => {
          const batch = (message as KafkaMessage & { batchContext?: { producerId: string; firstSequence: number } })
            .batchContext;
          seen.push({ topic, producerId: batch?.producerId ?? '-1', sequence: batch?.firstSequence ?? -1 });
          return Promise.resolve();
        },
      });
      await until('the command and its event read back', () => new Set(seen.map((x) => x.topic)).size === 2, {
        timeoutMs: 20_000,
      });
      for (const x of seen) {
        assert.notEqual(x.producerId, '-1', `${x.topic}: written by an idempotent producer (a producer id)`);
        assert.ok(x.sequence >= 0, `${x.topic}: with sequence numbers`);
      }
      await assertDatabaseVerifies(s.engine);
    } finally {
      await reader.disconnect();
      await s.close();
    }
  });
});
