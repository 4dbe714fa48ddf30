import type { Producer } from 'kafkajs';
import { COMMAND_TYPES, minorAsString } from '../../domain/index.js';
import type { CommandTransport } from '../../app/ports/index.js';
import type { CommandEnvelope } from '../../app/envelope.js';
import { produce } from './client.js';

/** Thrown for a message on the commands topic that is not a command envelope: it goes to the DLQ as is. */
export class UndecodableCommand extends Error {
  override readonly name = 'UndecodableCommand';
}

const json = (v: unknown) => JSON.stringify(v, minorAsString);

/** The commands topic's wire format: the SPEC §4 envelope as JSON, key = escrow id. */
export function encodeCommand(env: CommandEnvelope) {
  return {
    key: env.escrowId,
    value: json(env),
    headers: { 'command-id': env.commandId, 'command-type': env.type, 'correlation-id': env.correlationId },
  };
}

const isUuidLike = (v: unknown) => typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v);

export function decodeCommand(value: Buffer | null): CommandEnvelope {
  if (!value) throw new UndecodableCommand('empty message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new UndecodableCommand(`not JSON: ${(err as Error).message}`);
  }
  const e = parsed as Partial<CommandEnvelope>;
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !isUuidLike(e.commandId) ||
    !isUuidLike(e.escrowId) ||
    !COMMAND_TYPES.includes(e.type as never) ||
    typeof e.actor !== 'object' ||
    e.actor === null ||
    typeof e.payload !== 'object' ||
    e.payload === null ||
    typeof e.issuedAt !== 'string'
  ) {
    throw new UndecodableCommand('not a command envelope (commandId, escrowId, type, actor, issuedAt, payload)');
  }
  return e as CommandEnvelope;
}

/**
 * The API's side of the commands topic: every command is acknowledged by every in-sync replica (acks = -1) before the
 * request waits for its outcome. Like librdkafka's `linger.ms` (5 ms by default), commands submitted within
 * `lingerMs` of each other — or while a send is in flight — go out in one produce request: under load the broker gets
 * a few large record batches instead of one per HTTP request, and consumers fetch many commands at a time.
 */
export class KafkaCommandTransport implements CommandTransport {
  private queue: { env: CommandEnvelope; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly lingerMs = 5,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 500,
  ) {}

  send(env: CommandEnvelope): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ env, resolve, reject });
      if (this.queue.length >= this.maxBatch || this.lingerMs <= 0) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight++;
    produce(this.producer, { topic: this.topic, messages: batch.map((b) => encodeCommand(b.env)) })
      .then(
        () => batch.forEach((b) => b.resolve()),
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      )
      .finally(() => {
        this.inFlight--;
        this.flush(); // what queued meanwhile has waited long enough
      });
  }
}
