import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { isInfrastructureError } from '../adapters/db/database.js';
import { consumerLag, createKafka } from '../adapters/kafka/client.js';
import { KafkaCommandConsumer } from '../adapters/kafka/commandConsumer.js';
import { KafkaCommandTransport } from '../adapters/kafka/commands.js';
import { KafkaEventPublisher } from '../adapters/kafka/eventPublisher.js';
import type { KafkaConfig } from '../adapters/kafka/settings.js';
import type { CommandHandler } from '../app/commandHandler.js';
import type { BrokerStatus } from '../app/operations.js';
import type { CommandTransport, EventPublisher, OutboxMessage } from '../app/ports/index.js';
import type { Metrics } from '../observability/metrics.js';

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
    this.kafkaProducer = this.kafka.producer({ allowAutoTopicCreation: true });
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
        this.transport ??= new KafkaCommandTransport(await this.producer(), topic, this.config.lingerMs);
        await this.transport.send(env);
        this.metrics.kafkaProduceDuration.observe({ topic }, (performance.now() - t) / 1000);
      },
    };
  }

  /**
   * Events to the events topic (acknowledged), then to this process's in-process subscribers; `observe` is told how
   * long each event waited since its commit (ms).
   */
  eventPublisher(local: EventPublisher, observe: (delaysMs: number[]) => void) {
    const topic = this.config.eventsTopic;
    const events = async () => (this.events ??= new KafkaEventPublisher(await this.producer(), topic));
    return {
      publish: async (batch: readonly OutboxMessage[]) => {
        const t = performance.now();
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
          const cluster = await Promise.race([
            this.adminClient().then((a) => a.describeCluster()),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref(),
            ),
          ]);
          return { ok: true, latencyMs: performance.now() - t, detail: `${cluster.brokers.length} broker(s)` };
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
    const worker = new KafkaCommandConsumer({
      consumer: () =>
        this.kafka.consumer({
          groupId: kc.groupId,
          allowAutoTopicCreation: true,
          // a broker answers a fetch as soon as a command arrives; this bounds an idle poll
          maxWaitTimeInMs: kc.worker.fetchMaxWaitMs,
          // a worker that dies silently gives its partitions up after this long
          sessionTimeout: kc.worker.sessionTimeoutMs,
          heartbeatInterval: Math.max(300, Math.min(3000, Math.floor(kc.worker.sessionTimeoutMs / 5))),
        }),
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
