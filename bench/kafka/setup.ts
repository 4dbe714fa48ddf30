import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createKafka, createTopics } from '../../src/adapters/kafka/client.js';
import { loadConfig } from '../../src/config/index.js';
import { startBroker } from './broker.js';

/** `--name value` from the command line: a number >= `min` (an integer when `integer`), else `def`. */
export function numberFlag(name: string, def: number, o: { min?: number; integer?: boolean } = {}): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  const v = raw === undefined ? def : Number(raw);
  const min = o.min ?? 0;
  if (!Number.isFinite(v) || v < min || (o.integer && !Number.isInteger(v))) {
    throw new Error(`--${name} must be ${o.integer ? 'an integer' : 'a number'} >= ${min}, got ${raw}`);
  }
  return v;
}

/**
 * Kafka for a bench: KAFKA_BROKERS, else a real single-node broker started here (ci/kafka/broker.sh); topics of the
 * run's own (named after `prefix`) created as `escrow kafka create-topics` creates them (production's partitions,
 * replication factor KAFKA_REPLICATION_FACTOR, default 1), and a group of its own, as KAFKA_* variables for an engine
 * or a role process.
 */
export async function benchKafka(
  prefix: string,
): Promise<{ env: Record<string, string>; label: string; close(): void }> {
  const given = process.env.KAFKA_BROKERS;
  const broker = given ? null : startBroker();
  const brokers = given ?? broker!.brokers;
  const suffix = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers,
    KAFKA_COMMANDS_TOPIC: `${prefix}-commands-${suffix}`,
    KAFKA_EVENTS_TOPIC: `${prefix}-events-${suffix}`,
    KAFKA_GROUP_ID: `${prefix}-workers-${suffix}`,
    KAFKA_REPLICATION_FACTOR: process.env.KAFKA_REPLICATION_FACTOR ?? '1',
    // tuning knobs passed on as they are
    ...(process.env.KAFKA_FETCH_MAX_WAIT_MS ? { KAFKA_FETCH_MAX_WAIT_MS: process.env.KAFKA_FETCH_MAX_WAIT_MS } : {}),
    ...(process.env.KAFKA_LINGER_MS ? { KAFKA_LINGER_MS: process.env.KAFKA_LINGER_MS } : {}),
    ...(process.env.WORKER_MAX_IN_FLIGHT ? { WORKER_MAX_IN_FLIGHT: process.env.WORKER_MAX_IN_FLIGHT } : {}),
  };
  const config = loadConfig({ NODE_ENV: 'test', ...env }).kafka!;
  await createTopics(createKafka(config, pino({ level: 'warn' })), config);
  return {
    env,
    label: broker ? `Apache Kafka (ci/kafka/broker.sh) at ${brokers}` : brokers,
    close: () => broker?.stop(),
  };
}
