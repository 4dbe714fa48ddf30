import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { DomainError } from '../../domain/index.js';
import type { CommandSink } from '../../app/commandHandler.js';
import { isPgError } from '../db/database.js';
import { UndecodableCommand, decodeCommand } from './commands.js';

export interface CommandConsumerOptions {
  /** Makes a consumer in the group; called again to replace one that crashed for good. */
  consumer: () => Consumer;
  /** Sends poison messages to `<topic>.dlq`. */
  producer: Producer;
  topic: string;
  handler: CommandSink;
  logger: Logger;
  /** Commands in flight in this instance, across partitions (SPEC: 10). */
  maxInFlight: number;
  /** Attempts of a command failing for an unknown reason before it is a poison message. */
  maxAttempts: number;
  /** Messages per offset commit: a crash replays at most this many (already applied ones are duplicates). */
  chunkSize?: number;
  baseDelayMs?: number;
  onApplied?: (outcome: 'applied' | 'rejected' | 'dead-lettered') => void;
}

/** Errors that say "the database (or network) is not there": wait and retry the batch, never dead-letter. */
export function isInfrastructureError(err: unknown): boolean {
  if (isPgError(err)) {
    const code = err.code ?? '';
    return /^(08|53|57P|58)/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH)$/.test(code);
  }
  const msg = err instanceof Error ? err.message : String(err);
  return /connect|connection|terminat|timeout exceeded when trying to connect/i.test(msg);
}

class Retry extends Error {}

/**
 * The `worker` role in Kafka mode (SPEC §4): a consumer in group KAFKA_GROUP_ID applies commands through the one
 * command path. Per-partition order holds — within a partition an escrow's commands run one after another (same key,
 * same partition), different escrows concurrently, at most `maxInFlight` per instance; their commits share
 * transactions through the store's group commit. Offsets are committed only after the commands before them were
 * committed to the database. A refusal is recorded as the command's outcome; a version conflict or an outage is
 * retried with backoff (an outage stops the batch, which is fetched again); a message that cannot be decoded, or
 * fails `maxAttempts` times for another reason, goes to `<topic>.dlq` with its origin and error.
 */
export class KafkaCommandConsumer {
  private readonly limit: ReturnType<typeof pLimit>;

  constructor(private readonly o: CommandConsumerOptions) {
    this.limit = pLimit(o.maxInFlight);
  }

  private consumer: Consumer | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;

  async start(): Promise<void> {
    this.stopped = false;
    const { topic } = this.o;
    const consumer = this.o.consumer();
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      this.o.logger.info(
        { member_id: payload.memberId, partitions: payload.memberAssignment[topic] ?? [] },
        'command worker joined the group',
      ),
    );
    // kafkajs restarts a consumer after retriable failures; after any other crash this worker would sit idle while
    // alive, so it replaces the consumer (with backoff) and rejoins the group.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped) return;
      this.o.logger.error({ err: payload.error }, 'command consumer crashed; starting a new one');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => (this.stopped ? undefined : this.start()))
          .catch((err: unknown) => this.o.logger.error({ err }, 'command consumer restart failed'));
      }, 1000);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      // Offsets are resolved only after the commands before them committed to the database; kafkajs commits the
      // resolved offsets at most every 100 ms (and on rebalance and shutdown): a crash redelivers at most that
      // window, and the redelivered commands are answered from their records.
      autoCommit: true,
      autoCommitInterval: 100,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.maxInFlight,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const size = this.o.chunkSize ?? 50;
        for (let i = 0; i < batch.messages.length; i += size) {
          if (!payload.isRunning() || payload.isStale()) return;
          const chunk = batch.messages.slice(i, i + size);
          await this.applyChunk(batch.partition, chunk);
          const last = chunk.at(-1)!.offset;
          payload.resolveOffset(last);
          await payload.commitOffsetsIfNecessary();
          await payload.heartbeat();
        }
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.consumer?.disconnect();
  }

  /** Applies a chunk of one partition: each escrow's commands in order, escrows side by side. */
  private async applyChunk(partition: number, messages: KafkaMessage[]): Promise<void> {
    const byKey = new Map<string, KafkaMessage[]>();
    for (const m of messages) {
      const key = m.key?.toString('utf8') ?? '';
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(m);
    }
    await Promise.all(
      [...byKey.values()].map(async (list) => {
        for (const m of list) await this.limit(() => this.applyOne(partition, m));
      }),
    );
  }

  private async applyOne(partition: number, m: KafkaMessage): Promise<void> {
    let env;
    try {
      env = decodeCommand(m.value);
    } catch (err) {
      if (!(err instanceof UndecodableCommand)) throw err;
      await this.deadLetter(partition, m, err.message, 1);
      return;
    }
    // Every command on the topic is a client's: its refusal is its outcome (a redelivery must not apply it later).
    env = { ...env, recordRejection: true };
    const base = this.o.baseDelayMs ?? 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.o.handler.handle(env);
        this.o.onApplied?.('applied');
        return;
      } catch (err) {
        if (err instanceof DomainError && err.code !== 'VERSION_CONFLICT') {
          this.o.onApplied?.('rejected');
          return; // recorded by the handler as the command's outcome
        }
        if (isInfrastructureError(err)) {
          // Not the command's fault: back off and let the batch be fetched again from the committed offset.
          this.o.logger.warn({ err, command_id: env.commandId }, 'command worker: database unavailable');
          await sleep(Math.min(5000, base * 2 ** Math.min(attempt, 6)));
          throw new Retry('database unavailable');
        }
        const transient = err instanceof DomainError; // VERSION_CONFLICT past the handler's own retries
        if (attempt >= this.o.maxAttempts) {
          const message = err instanceof Error ? err.message : String(err);
          this.o.logger.error({ err, command_id: env.commandId }, 'command dead-lettered');
          await this.deadLetter(partition, m, message, attempt);
          return;
        }
        if (!transient) this.o.logger.warn({ err, command_id: env.commandId, attempt }, 'command failed; retrying');
        await sleep(base * 2 ** (attempt - 1) * (0.5 + Math.random()));
      }
    }
  }

  private async deadLetter(partition: number, m: KafkaMessage, error: string, attempts: number): Promise<void> {
    await this.o.producer.send({
      topic: `${this.o.topic}.dlq`,
      acks: -1,
      messages: [
        {
          key: m.key,
          value: m.value,
          headers: {
            'original-topic': this.o.topic,
            'original-partition': String(partition),
            'original-offset': m.offset,
            'original-key': m.key?.toString('utf8') ?? '',
            error: error.slice(0, 1000),
            attempts: String(attempts),
            'failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.o.onApplied?.('dead-lettered');
  }
}
