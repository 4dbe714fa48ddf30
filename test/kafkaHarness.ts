import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import type { Database } from '../src/adapters/db/database.js';
import { createKafka, createTopics } from '../src/adapters/kafka/client.js';
import { loadConfig } from '../src/config/index.js';

/**
 * Kafka for tests: a real Apache Kafka broker at TEST_KAFKA_BROKERS (`.ci/run` starts one with `ci/kafka/broker.sh
 * start`; suites that need it declare `kafka` through test/services.ts and are skipped, counted, without it). The
 * broker has topic auto-creation off, as production does: each suite gets topics and a group of its own, created
 * through the product's `escrow kafka create-topics` code path with production's partitions.
 */
export function kafkaBrokers(): string {
  const brokers = process.env.TEST_KAFKA_BROKERS;
  if (!brokers) throw new Error('TEST_KAFKA_BROKERS is not set: run `ci/kafka/broker.sh start` and set it');
  return brokers;
}

/** Configuration for a Kafka-mode server: topics (created here unless `create` is false) and a group of its own. */
export async function kafkaEnv(label = 'test', o: { create?: boolean } = {}): Promise<Record<string, string>> {
  const suffix = `${label}-${randomBytes(4).toString('hex')}`;
  const env = {
    KAFKA_BROKERS: kafkaBrokers(),
    KAFKA_COMMANDS_TOPIC: `escrow-commands-${suffix}`,
    KAFKA_EVENTS_TOPIC: `escrow.events.v1-${suffix}`,
    KAFKA_GROUP_ID: `escrow-service-group-${suffix}`,
    KAFKA_CLIENT_ID: `escrow-test-${suffix}`,
    // one broker: replication factor 1; partitions, retention and compression as the deployment guide has them
    KAFKA_REPLICATION_FACTOR: '1',
  };
  if (o.create ?? true) await createTestTopics(env);
  return env;
}

/** `escrow kafka create-topics` for `env` (the CLI's own code path); returns the topics it created. */
export async function createTestTopics(env: Record<string, string>): Promise<string[]> {
  const config = loadConfig({ NODE_ENV: 'test', ...env }).kafka!;
  return createTopics(createKafka(config, pino({ level: 'silent' })), config);
}

/** Polls `ok` every `intervalMs` until it holds; fails with `what` (and `why()`) after `timeoutMs`. */
export async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  o: { timeoutMs?: number; intervalMs?: number; why?: () => string } = {},
): Promise<void> {
  const end = Date.now() + (o.timeoutMs ?? 60_000);
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}${o.why ? `: ${o.why()}` : ''}`);
    await sleep(o.intervalMs ?? 100);
  }
}

/** Every event the events topic holds, per escrow, in the order they arrived (duplicates included). */
export async function readEventsTopic(
  env: Record<string, string>,
  expected: number,
  timeoutMs = 60_000,
): Promise<Map<string, { eventId: string; sequence: number }[]>> {
  const kafka = new Kafka({
    clientId: 'test-reader',
    brokers: env.KAFKA_BROKERS!.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  const byEscrow = new Map<string, { eventId: string; sequence: number }[]>();
  const unique = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topic: env.KAFKA_EVENTS_TOPIC!, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as { eventId: string; sequence: number; escrowId: string };
      assert.equal(message.key!.toString(), v.escrowId, 'an event is keyed by its escrow');
      assert.equal(message.headers?.['event-id']?.toString(), v.eventId, 'the event-id header');
      let list = byEscrow.get(v.escrowId);
      if (!list) byEscrow.set(v.escrowId, (list = []));
      list.push({ eventId: v.eventId, sequence: v.sequence });
      unique.add(v.eventId);
      return Promise.resolve();
    },
  });
  try {
    await until(`${expected} events on the topic`, () => unique.size >= expected, {
      timeoutMs,
      why: () => `have ${unique.size}`,
    });
  } finally {
    await consumer.disconnect();
  }
  return byEscrow;
}

/**
 * Once the outbox drained: every event in the database arrived on the events topic at least once, and a consumer
 * that keeps the first arrival of each event id sees each escrow's events exactly once, in sequence order.
 */
export async function assertEventsOnTopic(
  env: Record<string, string>,
  db: Database,
  timeoutMs = 60_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  const unpublished = async () =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows[0]!.n;
  await until('the outbox to drain', async () => (await unpublished()) === 0, { timeoutMs });
  const { rows } = await db.query<{ escrow_id: string; event_id: string }>(
    'SELECT escrow_id, event_id FROM escrow_events ORDER BY escrow_id, sequence',
  );
  const expected = new Map<string, string[]>();
  for (const r of rows) expected.set(r.escrow_id, [...(expected.get(r.escrow_id) ?? []), r.event_id]);
  const onTopic = await readEventsTopic(env, rows.length, Math.max(1000, end - Date.now()));
  const firsts = new Map<string, string[]>();
  for (const [escrowId, list] of onTopic) {
    const seen = new Set<string>();
    firsts.set(
      escrowId,
      list.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId)).map((e) => e.eventId),
    );
  }
  assert.deepEqual(firsts, expected, 'each escrow’s events on the topic, deduplicated by event id, in order');
}
