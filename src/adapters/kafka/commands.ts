import type { Producer } from 'kafkajs';
import { COMMAND_TYPES } from '../../domain/index.js';
import type { CommandTransport } from '../../app/remoteCommands.js';
import type { CommandEnvelope } from '../../app/envelope.js';

/** Thrown for a message on the commands topic that is not a command envelope: it goes to the DLQ as is. */
export class UndecodableCommand extends Error {
  override readonly name = 'UndecodableCommand';
}

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

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

/** The API's side of the commands topic: acknowledged by every in-sync replica before the request waits on. */
export class KafkaCommandTransport implements CommandTransport {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async send(env: CommandEnvelope): Promise<void> {
    await this.producer.send({ topic: this.topic, acks: -1, messages: [encodeCommand(env)] });
  }
}
