import type { Admin, ConsumerConfig, Kafka, Producer, ProducerConfig } from 'kafkajs';
import type { Logger } from 'pino';
import { isInfrastructureError } from '../adapters/db/database.js';
import { KafkaTopicMissing, consumerLag, createKafka, missingTopics } from '../adapters/kafka/client.js';
import { KafkaCommandConsumer } from '../adapters/kafka/commandConsumer.js';
import { KafkaCommandTransport } from '../adapters/kafka/commands.js';
import { KafkaEventPublisher } from '../adapters/kafka/eventPublisher.js';
import type { KafkaConfig } from '../adapters/kafka/settings.js';
import type { CommandHandler } from '../app/commandHandler.js';
import type { BrokerStatus } from '../app/operations.js';
import type { CommandTransport, EventPublisher, OutboxMessage } from '../app/ports/index.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The producer of every Kafka-mode process: idempotent (the broker drops the duplicates of its own retries; acks = all
 * is set on every send), never creating a topic (production's brokers have auto-creation off; a missing topic is a
 * KafkaTopicMissing naming `escrow kafka create-topics`). Its retries are bounded so a send fails instead of hanging
 * while the cluster is away: a command or event sent again later may then arrive twice, which every consumer
 * absorbs (commands by command id, events by event id).
 */
export const PRODUCER_CONFIG: ProducerConfig = {
  idempotent: true,
  allowAutoTopicCreation: false,
  retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 5000 },
};

/** The worker's consumer: in group KAFKA_GROUP_ID, never creating a topic (the admin client never does either). */
export function workerConsumerConfig(kc: KafkaConfig): ConsumerConfig {
  return {
    groupId: kc.groupId,
    allowAutoTopicCreation: false,
    // a broker answers a fetch as soon as a command arrives; this bounds an idle poll
    maxWaitTimeInMs: kc.worker.fetchMaxWaitMs,
    // a worker that dies silently gives its partitions up after this long
    sessionTimeout: kc.worker.sessionTimeoutMs,
    heartbeatInterval: Math.max(300, Math.min(3000, Math.floor(kc.worker.sessionTimeoutMs / 5))),
  };
}

/**
 * Kafka mode's clients in one process: one producer (the outbox awaits each batch before the next, so its order holds
 * without limiting the API's concurrent command sends to one request in flight), one admin client, the worker.
 */
export class KafkaRuntime {
  readonly kafka: Kafka;
  private readonly kafkaProducer: Producer;
  private producerReady: Promise<void> | null = null;
  private admin: Promise<Admin> | null = null;
  private transport: KafkaCommandTransport | null = null;
  private events: KafkaEventPublisher | null = null;
  private worker: KafkaCommandConsumer | null = null;

  constructor(
    readonly config: KafkaConfig,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    this.kafka = createKafka(config, logger);
    this.kafkaProducer = this.kafka.producer(PRODUCER_CONFIG);
  }

  /** Topics seen to exist (a topic is not deleted under a running service; a miss is asked again). */
  private readonly knownTopics = new Set<string>();

  /** Fails at once with KafkaTopicMissing when a topic is not there, instead of a send retrying into a timeout. */
  async ensureTopics(topics: readonly string[]): Promise<void> {
    if (topics.every((t) => this.knownTopics.has(t))) return;
    const existing = new Set(await (await this.adminClient()).listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new KafkaTopicMissing(missing);
    for (const t of topics) this.knownTopics.add(t);
  }

  /** The shared producer, connected on first use. */
  async producer(): Promise<Producer> {
    this.producerReady ??= this.kafkaProducer.connect();
    await this.producerReady;
    return this.kafkaProducer;
  }

  /** The API's way to the workers: the commands topic (key = escrow id), timed in kafka_produce_duration_seconds. */
  commandTransport(): CommandTransport {
    const topic = this.config.commandsTopic;
    return {
      send: async (env) => {
        const t = performance.now();
        await this.ensureTopics([topic]);
        this.transport ??= new KafkaCommandTransport(await this.producer(), topic, this.config.lingerMs);
        await this.transport.send(env);
        this.metrics.kafkaProduceDuration.observe({ topic }, (performance.now() - t) / 1000);
      },
    };
  }

  /**
   * Events to the events topic (acknowledged), then to this process's in-process subscribers; `observe` is told how
   * long each event waited since its commit (ms). Once the broker acknowledged a batch it is published: `local` must
   * not throw (composition/events.ts retries and logs a subscriber's failure itself), else the outbox would send the
   * batch again — or dead-letter an event that is on the topic.
   */
  eventPublisher(local: EventPublisher, observe: (delaysMs: number[]) => void) {
    const topic = this.config.eventsTopic;
    const events = async () => (this.events ??= new KafkaEventPublisher(await this.producer(), topic));
    return {
      publish: async (batch: readonly OutboxMessage[]) => {
        const t = performance.now();
        await this.ensureTopics([topic]);
        await (await events()).publish(batch);
        this.metrics.kafkaProduceDuration.observe({ topic }, (performance.now() - t) / 1000);
        const now = Date.now();
        const delays = batch.map((m) => now - Date.parse(m.createdAt));
        for (const d of delays) this.metrics.outboxPublishDelay.observe(d / 1000);
        observe(delays);
        await local.publish(batch);
      },
      deadLetter: async (m: OutboxMessage, error: string) => (await events()).deadLetter(m, error),
    };
  }

  private adminClient(): Promise<Admin> {
    return (this.admin ??= (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      this.admin = null; // the next call tries again
      throw err;
    }));
  }

  /** What /health and /metrics report of the broker. */
  brokerStatus(): BrokerStatus {
    return {
      commandsTopic: this.config.commandsTopic,
      lag: async () => consumerLag(await this.adminClient(), this.config.groupId, this.config.commandsTopic),
      health: async () => {
        const t = performance.now();
        try {
          const { cluster, missing } = await Promise.race([
            this.adminClient().then(async (a) => ({
              cluster: await a.describeCluster(),
              missing: await missingTopics(a, this.config),
            })),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref(),
            ),
          ]);
          const latencyMs = performance.now() - t;
          if (missing.length > 0) return { ok: false, latencyMs, detail: new KafkaTopicMissing(missing).message };
          return { ok: true, latencyMs, detail: `${cluster.brokers.length} broker(s), topics present` };
        } catch (err) {
          const detail = err instanceof Error ? err.message : String(err);
          return { ok: false, latencyMs: performance.now() - t, detail };
        }
      },
    };
  }

  /** The worker role: a member of the consumer group applying commands from the commands topic. */
  async startWorker(handler: CommandHandler): Promise<void> {
    const kc = this.config;
    // a worker on a topic that is not there would sit idle: refuse to start, naming the command that creates it
    await this.ensureTopics([kc.commandsTopic, `${kc.commandsTopic}.dlq`]);
    const worker = new KafkaCommandConsumer({
      consumer: () => this.kafka.consumer(workerConsumerConfig(kc)),
      producer: await this.producer(),
      topic: kc.commandsTopic,
      handler,
      logger: this.logger,
      maxInFlight: kc.worker.maxInFlight,
      maxAttempts: kc.worker.maxAttempts,
      isInfrastructureError,
    });
    await worker.start();
    this.worker = worker;
  }

  /** Stops the worker (it finishes the commands it holds). */
  async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.stop();
  }

  /** Stops the worker, then disconnects the producer and the admin client. */
  async close(): Promise<void> {
    await this.stopWorker();
    if (this.producerReady) await this.kafkaProducer.disconnect();
    const a = this.admin && (await this.admin.catch(() => null));
    await a?.disconnect();
  }
}
