import { DomainError, invalid, type Actor, type CommandType, type EscrowCommand, type Rail } from '../domain/index.js';
import { railNotEnabled } from './commandHandler.js';
import type { CommandSink, HandledCommand } from './ports/index.js';
import type { CommandEnvelope } from './envelope.js';
import { derivedId, isUuid, newId } from './ids.js';
import type { Clock, PaymentRail } from './ports/index.js';

export type CreateEscrowInput = Omit<Extract<EscrowCommand, { type: 'CreateEscrow' }>, 'type' | 'payment'>;

export interface SubmitOptions {
  /** The caller's idempotency key as a UUID; a fresh one when absent. */
  commandId?: string;
  correlationId?: string;
  causationId?: string | null;
  /** Set with an idempotency key: the same key with another request is refused (IDEMPOTENCY_KEY_REUSED). */
  requestHash?: string;
  /** Keep a refusal as the command's outcome (client commands; see CommandEnvelope.recordRejection). */
  recordRejection?: boolean;
}

/**
 * The application's command entry points for every caller (HTTP, CLI, ops tools): create and every other command,
 * as envelopes to the command path (in process, or the commands topic in Kafka mode). Reads are EscrowQueryService.
 */
export class EscrowService {
  constructor(
    private readonly deps: {
      /** Applies commands: the handler in process, or the Kafka gateway. */
      handler: CommandSink;
      rails: ReadonlyMap<Rail, PaymentRail>;
      clock: Clock;
    },
  ) {}

  envelope<T extends CommandType>(
    type: T,
    escrowId: string,
    actor: Actor,
    payload: CommandEnvelope<T>['payload'],
    opts: SubmitOptions = {},
  ): CommandEnvelope<T> {
    const commandId = opts.commandId ?? newId();
    return {
      commandId,
      type,
      escrowId,
      actor,
      issuedAt: this.deps.clock.now().toISOString(),
      correlationId: opts.correlationId ?? commandId,
      causationId: opts.causationId ?? null,
      payload,
      ...(opts.requestHash ? { requestHash: opts.requestHash } : {}),
      ...(opts.recordRejection ? { recordRejection: true } : {}),
    };
  }

  async create(actor: Actor, input: CreateEscrowInput, opts: SubmitOptions = {}): Promise<HandledCommand> {
    const commandId = opts.commandId ?? newId();
    if (!isUuid(commandId)) throw invalid('commandId', 'must be a UUID');
    // The escrow id follows from the command id, so a retried create lands on the same escrow.
    const escrowId = derivedId(`escrow:${commandId}`);
    if (!this.deps.rails.has(input.rail)) throw railNotEnabled(input.rail, this.deps.rails);
    // The command path decides the create, then asks the rail for the payment instructions (CommandHandler).
    return this.deps.handler.handle(this.envelope('CreateEscrow', escrowId, actor, input, { ...opts, commandId }));
  }

  async execute<T extends Exclude<CommandType, 'CreateEscrow'>>(
    type: T,
    escrowId: string,
    actor: Actor,
    payload: CommandEnvelope<T>['payload'],
    opts: SubmitOptions = {},
  ): Promise<HandledCommand> {
    if (!isUuid(escrowId)) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${String(escrowId)} not found`);
    return this.deps.handler.handle(this.envelope(type, escrowId, actor, payload, opts));
  }
}
