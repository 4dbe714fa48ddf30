import type { Actor, CommandType, EscrowCommand } from '../domain/index.js';
import { derivedId } from './ids.js';

/** SPEC §4 command envelope: how every caller (HTTP, webhook, timeout, ops tool, Kafka) submits a command. */
export interface CommandEnvelope<T extends CommandType = CommandType> {
  /** Idempotency key: a repeated id returns the first result and changes nothing. */
  commandId: string;
  type: T;
  escrowId: string;
  actor: Actor;
  issuedAt: string;
  correlationId: string;
  causationId: string | null;
  payload: Omit<Extract<EscrowCommand, { type: T }>, 'type'>;
  /** Hash of the request that carried an idempotency key: a replay with another request is refused. */
  requestHash?: string | null;
  /**
   * Record a refusal as this command id's outcome (client commands): a redelivery then answers the same refusal
   * rather than being decided again on a state that has moved on.
   */
  recordRejection?: boolean;
}

/** A refusal recorded as a command's outcome. */
export interface CommandRejection {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** What applying a command produced; stored with the command id and returned again for a duplicate. */
export interface CommandResult {
  commandId: string;
  escrowId: string;
  type: CommandType;
  fromStatus: string | null;
  toStatus: string;
  version: number;
  eventIds: string[];
  requestHash?: string | null;
  /** Set when the command was refused: nothing else changed. */
  rejection?: CommandRejection;
}

/** Provider webhook bookkeeping that must commit in the same transaction as the command it caused. */
export interface WebhookMark {
  provider: string;
  eventId: string;
  /** The normalised action (payment.succeeded, ...). */
  type: string;
  /** The provider's event as received, stored raw with its outcome. */
  payload: unknown;
  outcome: string;
  /** The bytes that arrived and the headers their signature needs, kept for `webhooks reprocess`. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export const toDomainCommand = (env: CommandEnvelope): EscrowCommand =>
  ({ ...(env.payload as object), type: env.type }) as EscrowCommand;

/**
 * The envelope of a command the system issues itself (webhooks, timeouts, settlements): its id derives from `key`,
 * so a retried or re-run trigger is the same command and has one effect.
 */
export function systemEnvelope<T extends CommandType>(input: {
  key: string;
  type: T;
  escrowId: string;
  actorId: string;
  correlationId: string;
  payload: CommandEnvelope<T>['payload'];
  now: Date;
}): CommandEnvelope<T> {
  return {
    commandId: derivedId(input.key),
    type: input.type,
    escrowId: input.escrowId,
    actor: { id: input.actorId, role: 'system' },
    issuedAt: input.now.toISOString(),
    correlationId: input.correlationId,
    causationId: null,
    payload: input.payload,
  };
}
