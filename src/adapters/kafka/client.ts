import kafkajs, {
  Kafka,
  logLevel,
  type Admin,
  type ITopicConfig,
  type KafkaConfig as KafkaJsConfig,
  type Producer,
  type ProducerRecord,
  type RecordMetadata,
} from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import type { Logger } from 'pino';
import type { KafkaConfig } from './settings.js';

// The topics are compression.type=snappy (the deployment guide): a broker stores and serves snappy batches, which
// kafkajs can only decode (and the producer write) with this codec.
// (CommonJS: these two are not seen as named exports by Node's ESM loader.)
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = SnappyCodec;

/** Producers compress with the topics' codec, so the broker stores the batches as they come (no recompression). */
export const COMPRESSION = kafkajs.CompressionTypes.Snappy;

/** What to do when a topic is missing: auto-creation is off in every client, as on the brokers. */
export const CREATE_TOPICS_HINT = 'run `escrow kafka create-topics`';

/** A send or subscribe failed because the topic does not exist (auto-creation is off): names the command to run. */
export class KafkaTopicMissing extends Error {
  override readonly name = 'KafkaTopicMissing';
  constructor(readonly topics: readonly string[]) {
    super(`Kafka topic ${topics.map((t) => `"${t}"`).join(', ')} does not exist: ${CREATE_TOPICS_HINT}`);
  }
}

/** True when kafkajs gave up because a topic or partition is unknown to the cluster (UNKNOWN_TOPIC_OR_PARTITION). */
export function isUnknownTopic(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { type?: string; message?: string; originalError?: unknown; cause?: unknown };
    if (x.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic-partition/.test(x.message ?? '')) {
      return true;
    }
    e = x.originalError ?? x.cause;
  }
  return false;
}

/**
 * Sends with acks from every in-sync replica and the topics' compression; a missing topic (auto-creation is off) is a
 * KafkaTopicMissing naming `escrow kafka create-topics`.
 */
export async function produce(producer: Producer, record: Omit<ProducerRecord, 'acks'>): Promise<RecordMetadata[]> {
  try {
    return await producer.send({ compression: COMPRESSION, ...record, acks: -1 });
  } catch (err) {
    if (isUnknownTopic(err)) throw new KafkaTopicMissing([record.topic]);
    throw err;
  }
}

/** A kafkajs client for the configured brokers (SASL/SSL from KAFKA_*), logging through pino. */
export function createKafka(config: KafkaConfig, logger: Logger): Kafka {
  const log = logger.child({ component: 'kafka' });
  const options: KafkaJsConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    ...(config.sasl ? { sasl: config.sasl as KafkaJsConfig['sasl'] } : {}),
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        // the producer's retries are bounded on purpose (composition/kafka.ts PRODUCER_CONFIG): not worth a warning
        if (message.startsWith('Limiting retries for the idempotent producer')) return;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  };
  return new Kafka(options);
}

/** The deployment guide's topics: partitions, delete retention (never compaction: it would erase history), snappy. */
export function topicSpecs(config: KafkaConfig): ITopicConfig[] {
  const retentionMs = String(config.topics.retentionDays * 86_400_000);
  const common = [
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: retentionMs },
    { name: 'compression.type', value: 'snappy' },
  ];
  const topic = (name: string, numPartitions: number): ITopicConfig => ({
    topic: name,
    numPartitions,
    replicationFactor: config.topics.replicationFactor,
    configEntries: common,
  });
  return [
    topic(config.commandsTopic, config.topics.commandsPartitions),
    topic(config.eventsTopic, config.topics.eventsPartitions),
    topic(`${config.commandsTopic}.dlq`, 1),
    topic(`${config.eventsTopic}.dlq`, 1),
  ];
}

/** Creates the topics that do not exist yet; returns the names created (none when re-run). */
export async function createTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const missing = new Set(await missingTopics(admin, config));
    const specs = topicSpecs(config).filter((t) => missing.has(t.topic));
    if (specs.length > 0) {
      try {
        await admin.createTopics({ topics: specs, waitForLeaders: true });
      } catch (err) {
        // kafkajs waits for leaders by fetching metadata and retries only LEADER_NOT_AVAILABLE; a real broker may
        // also answer UNKNOWN_TOPIC_OR_PARTITION for a moment after creating the topic. Created: wait for it below.
        if (!isUnknownTopic(err)) throw err;
      }
      await waitForLeaders(
        admin,
        specs.map((t) => t.topic),
      );
    }
    return specs.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/** Until every partition of `topics` has a leader (at most ~15 s), over a connected admin. */
async function waitForLeaders(admin: Admin, topics: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      if (!isUnknownTopic(err) || attempt >= 60) throw err;
    }
    if (attempt >= 60) throw new Error(`Kafka topics ${topics.join(', ')} have no leader yet`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The deployment guide's topics that the cluster does not have, over a connected admin. */
export async function missingTopics(admin: Admin, config: KafkaConfig): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return topicSpecs(config)
    .map((t) => t.topic)
    .filter((t) => !existing.has(t));
}

/** Consumer lag of the group on a topic, per partition (high watermark − committed offset), over a connected admin. */
export async function consumerLag(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; committed: string; high: string; lag: number }[]> {
  const [highs, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const byPartition = new Map(committed?.partitions.map((p) => [p.partition, p.offset]) ?? []);
  return highs
    .map((h) => {
      const c = byPartition.get(h.partition) ?? '-1';
      const from = c === '-1' ? BigInt(h.low) : BigInt(c);
      return { partition: h.partition, committed: c, high: h.high, lag: Number(BigInt(h.high) - from) };
    })
    .sort((a, b) => a.partition - b.partition);
}
