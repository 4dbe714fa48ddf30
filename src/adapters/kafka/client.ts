import { Kafka, logLevel, type Admin, type ITopicConfig, type KafkaConfig as KafkaJsConfig } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from './settings.js';

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

/** Creates the topics that do not exist yet; returns the names created. */
export async function createTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topicSpecs(config).filter((t) => !existing.has(t.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
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
