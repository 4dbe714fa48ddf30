import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, KafkaMessage, Producer } from 'kafkajs';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { DomainError } from '../../domain/index.js';
import type { CommandSink } from '../../app/ports/index.js';
import { produce } from './client.js';
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
  /** Commands fetched but not yet applied, across partitions, before fetching pauses (default 500). */
  maxBuffered?: number;
  /** How often the offsets of applied commands are committed (default 100 ms): a crash replays at most that window. */
  commitIntervalMs?: number;
  baseDelayMs?: number;
  onApplied?: (outcome: 'applied' | 'rejected' | 'dead-lettered') => void;
  /** Errors that say "the database (or network) is not there": the batch waits and retries, never dead-letters. */
  isInfrastructureError: (err: unknown) => boolean;
}

/** A fetched command on its way to the database; `done` once applied, refused or dead-lettered. */
interface Entry {
  offset: bigint;
  message: KafkaMessage;
  done: boolean;
}

/** One partition's commands between fetch and offset commit. */
class Lane {
  /** Fetched and not yet committed, in offset order. */
  readonly entries: Entry[] = [];
  /** Each escrow's commands waiting behind the one being applied. */
  readonly keys = new Map<string, Entry[]>();
  lastFetched = -1n;
}

/** The pipeline of one consumer (a replacement consumer gets a new one; the old one's work is then abandoned). */
class Generation {
  readonly lanes = new Map<number, Lane>();
  buffered = 0;
  closed = false;
  private waiters: (() => void)[] = [];

  lane(partition: number): Lane {
    let lane = this.lanes.get(partition);
    if (!lane) this.lanes.set(partition, (lane = new Lane()));
    return lane;
  }

  /** Resolves when a buffered command finished (or after `ms`). */
  progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The `worker` role in Kafka mode (SPEC §4): a consumer in group KAFKA_GROUP_ID applies commands through the one
 * command path.
 *
 * Fetching and applying are pipelined: a fetched batch is handed to the partition's lane and the next fetch goes out
 * at once, while the commands are applied — within a partition each escrow's commands one after another (same key,
 * same partition), different escrows side by side, at most `maxInFlight` per instance, their commits sharing
 * transactions through the store's group commit (a savepoint per command). Fetching pauses while `maxBuffered`
 * commands wait. The committed offset of a partition only ever covers commands that were applied: it is the first
 * one not yet done, committed every `commitIntervalMs`. A crash therefore redelivers what was not committed, and a
 * redelivered command is answered from its record (applied once).
 *
 * A refusal is recorded as the command's outcome. A database outage is waited out with backoff, the command kept in
 * place (never dead-lettered); a version conflict past the handler's retries, or another error, is retried up to
 * `maxAttempts` times; a message that cannot be decoded, or still fails, goes to `<topic>.dlq` with its origin and
 * error.
 */
export class KafkaCommandConsumer {
  private readonly limit: ReturnType<typeof pLimit>;
  private consumer: Consumer | null = null;
  private gen: Generation | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> | null = null;

  constructor(private readonly o: CommandConsumerOptions) {
    this.limit = pLimit(o.maxInFlight);
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { topic } = this.o;
    const consumer = this.o.consumer();
    const gen = new Generation();
    this.consumer = consumer;
    this.gen = gen;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = new Set(payload.memberAssignment[topic] ?? []);
      // partitions given to another member: their waiting commands are that member's now (from the committed offset)
      for (const [partition, lane] of gen.lanes) {
        if (assigned.has(partition)) continue;
        gen.lanes.delete(partition);
        gen.buffered -= lane.entries.filter((e) => !e.done).length;
        lane.keys.clear();
      }
      gen.notify();
      this.o.logger.info({ member_id: payload.memberId, partitions: [...assigned] }, 'command worker joined the group');
    });
    // kafkajs restarts a consumer after retriable failures; after any other crash this worker would sit idle while
    // alive, so it replaces the consumer (with backoff) and rejoins the group.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopped) return;
      this.o.logger.error({ err: payload.error }, 'command consumer crashed; starting a new one');
      gen.closed = true;
      gen.notify();
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
    const maxBuffered = this.o.maxBuffered ?? 500;
    await consumer.run({
      // offsets are committed by this worker, and only for applied commands
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const running = () => payload.isRunning() && !payload.isStale();
        const lane = gen.lane(batch.partition);
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset > lane.lastFetched) {
            while (gen.buffered >= maxBuffered && !gen.closed && running()) {
              await gen.progress(1000);
              await payload.heartbeat();
            }
            if (gen.closed || !running() || gen.lanes.get(batch.partition) !== lane) return;
            this.enqueue(gen, lane, batch.partition, { offset, message, done: false });
          }
          // the fetch position moves on; the committed offset follows the applied commands
          payload.resolveOffset(message.offset);
        }
        await payload.heartbeat();
      },
    });
    this.commitTimer ??= setInterval(() => void this.commit(), this.o.commitIntervalMs ?? 100);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.commitTimer) clearInterval(this.commitTimer);
    this.commitTimer = null;
    const gen = this.gen;
    if (gen) {
      // let the commands being applied finish (bounded), commit them, and abandon the rest to the next owner
      const end = Date.now() + 5000;
      gen.closed = true;
      gen.notify();
      while (this.limit.activeCount > 0 && Date.now() < end) await sleep(20);
      await this.commit();
    }
    await this.consumer?.disconnect();
  }

  /** Commits, per partition, the offset after the last command that was applied with all before it. */
  private async commit(): Promise<void> {
    if (this.committing) return this.committing;
    const consumer = this.consumer;
    const gen = this.gen;
    if (!consumer || !gen) return;
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    for (const [partition, lane] of gen.lanes) {
      let next: bigint | null = null;
      while (lane.entries[0]?.done) next = lane.entries.shift()!.offset + 1n;
      if (next === null) continue;
      offsets.push({ topic: this.o.topic, partition, offset: next.toString() });
    }
    if (!offsets.length) return;
    this.committing = consumer
      .commitOffsets(offsets)
      .catch((err: unknown) => {
        // the next commit covers these too (a later offset commits everything before it)
        this.o.logger.warn({ err }, 'command worker: offset commit failed; retrying');
      })
      .finally(() => (this.committing = null));
    return this.committing;
  }

  /** Queues a fetched command behind the same escrow's earlier ones; starts its escrow's chain if idle. */
  private enqueue(gen: Generation, lane: Lane, partition: number, entry: Entry): void {
    lane.lastFetched = entry.offset;
    lane.entries.push(entry);
    gen.buffered++;
    const key = entry.message.key?.toString('utf8') ?? '';
    const waiting = lane.keys.get(key);
    if (waiting) {
      waiting.push(entry);
      return;
    }
    const chain = [entry];
    lane.keys.set(key, chain);
    void (async () => {
      while (chain.length && !gen.closed) {
        const next = chain[0]!;
        const applied = await this.limit(() => this.applyOne(gen, partition, next.message));
        if (!applied) return; // abandoned: this consumer is gone, the next owner redelivers it
        if (gen.lanes.get(partition) !== lane) return; // the partition went to another member meanwhile
        next.done = true;
        chain.shift();
        gen.buffered--;
        gen.notify();
      }
      if (lane.keys.get(key) === chain) lane.keys.delete(key);
    })().catch((err: unknown) => this.o.logger.error({ err }, 'command worker: chain failed'));
  }

  /** Applies one command until it has an outcome; false when its consumer went away first. */
  private async applyOne(gen: Generation, partition: number, m: KafkaMessage): Promise<boolean> {
    let env;
    try {
      env = decodeCommand(m.value);
    } catch (err) {
      if (!(err instanceof UndecodableCommand)) throw err;
      return this.deadLetter(gen, partition, m, err.message, 1);
    }
    // Every command on the topic is a client's: its refusal is its outcome (a redelivery must not apply it later).
    env = { ...env, recordRejection: true };
    const base = this.o.baseDelayMs ?? 100;
    let outage = 0;
    for (let attempt = 1; !gen.closed;) {
      try {
        await this.o.handler.handle(env);
        this.o.onApplied?.('applied');
        return true;
      } catch (err) {
        if (err instanceof DomainError && err.code !== 'VERSION_CONFLICT') {
          this.o.onApplied?.('rejected');
          return true; // recorded by the handler as the command's outcome
        }
        if (this.o.isInfrastructureError(err)) {
          // not the command's fault: wait, keep it in place, never dead-letter it
          this.o.logger.warn({ err, command_id: env.commandId }, 'command worker: database unavailable');
          await sleep(Math.min(5000, base * 2 ** Math.min(++outage, 6)));
          continue;
        }
        const transient = err instanceof DomainError; // VERSION_CONFLICT past the handler's own retries
        if (attempt >= this.o.maxAttempts) {
          const message = err instanceof Error ? err.message : String(err);
          this.o.logger.error({ err, command_id: env.commandId }, 'command dead-lettered');
          return this.deadLetter(gen, partition, m, message, attempt);
        }
        if (!transient) this.o.logger.warn({ err, command_id: env.commandId, attempt }, 'command failed; retrying');
        await sleep(base * 2 ** (attempt - 1) * (0.5 + Math.random()));
        attempt++;
      }
    }
    return false;
  }

  /** Sends a poison message to `<topic>.dlq` (retried while the broker is unreachable). */
  private async deadLetter(
    gen: Generation,
    partition: number,
    m: KafkaMessage,
    error: string,
    attempts: number,
  ): Promise<boolean> {
    for (let attempt = 1; !gen.closed; attempt++) {
      try {
        await produce(this.o.producer, {
          topic: `${this.o.topic}.dlq`,
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
        return true;
      } catch (err) {
        this.o.logger.warn({ err, offset: m.offset }, 'command worker: dead letter not sent; retrying');
        await sleep(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
    return false;
  }
}
