import {
  DomainError,
  decide,
  invalid,
  type Actor,
  type CommandType,
  type Escrow,
  type EscrowCommand,
  type EscrowPolicy,
  type LedgerEntry,
  type Rail,
} from '../domain/index.js';
import type { CommandSink, HandledCommand } from './commandHandler.js';
import type { CommandEnvelope } from './envelope.js';
import { derivedId, isUuid, newId } from './ids.js';
import type { AuditEntry, Clock, EscrowFilter, EscrowReadModel, PaymentRail, StoredEvent } from './ports/index.js';

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

export interface EscrowDetails {
  escrow: Escrow;
  events?: StoredEvent[];
  ledger?: (LedgerEntry & { createdAt: string })[];
  audit?: AuditEntry[];
}

export type Include = 'events' | 'ledger' | 'audit';

export const MAX_PAGE = 50;

/**
 * The application's entry points for every caller (HTTP, CLI, ops tools): create (payment instructions are
 * obtained from the rail before, never inside, the transaction), every other command, and the queries with
 * the visibility rules (a user sees only escrows they are a party of).
 */
export class EscrowService {
  constructor(
    private readonly deps: {
      /** Applies commands: the handler in process, or the Kafka gateway. */
      handler: CommandSink;
      readModel: EscrowReadModel;
      rails: ReadonlyMap<Rail, PaymentRail>;
      policy: EscrowPolicy;
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
    const rail = this.deps.rails.get(input.rail);
    if (!rail) {
      throw new DomainError('VALIDATION_ERROR', `rail ${String(input.rail)} is not enabled`, {
        errors: [{ field: 'rail', message: `must be one of ${[...this.deps.rails.keys()].join(', ')}` }],
      });
    }
    // Validate everything before asking the provider for anything.
    const [created] = decide({ ...input, type: 'CreateEscrow', payment: { reference: 'pending' } }, null, {
      now: this.deps.clock.now().toISOString(),
      actor,
      policy: this.deps.policy,
      newId: (p) => p,
    });
    if (created?.type !== 'EscrowCreated') throw new Error('unreachable');
    const payment = await rail.createPaymentInstructions({
      escrowId,
      amount: BigInt(created.data.amount) + BigInt(created.data.buyerFee),
      currency: created.data.currency,
    });
    return this.deps.handler.handle(
      this.envelope('CreateEscrow', escrowId, actor, { ...input, payment }, { ...opts, commandId }),
    );
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
