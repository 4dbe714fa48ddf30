import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { startMockCluster } from '../bench/kafka/mockCluster.js';

/**
 * Kafka for tests: TEST_KAFKA_BROKERS when set (.ci/run starts librdkafka's mock cluster and sets it), else a mock
 * cluster of our own started with Debian's kcat. Without either the Kafka tests fail — they are never skipped.
 */
let own: Promise<{ brokers: string; child: ChildProcess }> | null = null;

export async function kafkaBrokers(): Promise<string> {
  if (process.env.TEST_KAFKA_BROKERS) return process.env.TEST_KAFKA_BROKERS;
  own ??= startMockCluster();
  return (await own).brokers;
}

/** Configuration for a Kafka-mode server with topics and a group of its own on a shared cluster. */
export async function kafkaEnv(label = 'test'): Promise<Record<string, string>> {
  const suffix = `${label}-${randomBytes(4).toString('hex')}`;
  return {
    KAFKA_BROKERS: await kafkaBrokers(),
    KAFKA_COMMANDS_TOPIC: `escrow-commands-${suffix}`,
    KAFKA_EVENTS_TOPIC: `escrow.events.v1-${suffix}`,
    KAFKA_GROUP_ID: `escrow-service-group-${suffix}`,
    KAFKA_CLIENT_ID: `escrow-test-${suffix}`,
    // librdkafka's mock cluster answers a fetch only when this runs out, data or not (a real broker answers at once)
    KAFKA_FETCH_MAX_WAIT_MS: '10',
  };
}
