import {
  DomainError,
  decideCreation,
  invalid,
  type Actor,
  type CommandType,
  type Escrow,
  type EscrowCommand,
  type EscrowPolicy,
  type Rail,
} from '../domain/index.js';
import type { BlacklistService } from './blacklist.js';
import { decideContext, paymentInstructions, railNotEnabled } from './commandHandler.js';
import type { CommandEnvelope } from './envelope.js';
import { derivedId, isUuid, newId } from './ids.js';
import type { Clock, CommandSink, HandledCommand, PaymentRail } from './ports/index.js';

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
  /** Set by ApprovalService applying an approved proposal: not held for approval again. */
  approved?: boolean;
}

/** Dual control (ApprovalService): an admin's large money-moving command is held for a second admin instead. */
export interface ApprovalGate {
  /** Whether commands of this type may be held (no query: dual control on, and a release, refund or resolution). */
  covers(type: CommandType): boolean;
  /** Stores a proposal and throws ApprovalRequired when the command is above the threshold; else returns. */
  screen(envelope: CommandEnvelope): Promise<void>;
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
      /** Set when the command path runs in other processes (the Kafka gateway): creates are checked here first. */
      remote?: { policy: EscrowPolicy };
      rails: ReadonlyMap<Rail, PaymentRail>;
      clock: Clock;
      /** Audits the refusals made here, before the command path (which audits its own). */
      refusals?: RefusalRecorder;
      /**
       * Blacklisted user ids (seed 003 RB-04): an escrow with a listed party is refused on create, and so is an
       * admin's manual funding of it (ConfirmPayment, ApplySuspense); a provider's payment takes the refund path
       * (WebhookProcessor).
       */
      blacklist?: Pick<BlacklistService, 'check'>;
      /** The escrow a funding command names, for the blacklist check (the read model). */
      escrows?: { getEscrow(escrowId: string): Promise<Escrow | null> };
      /** Dual control: admins' releases, refunds and resolutions above ADMIN_APPROVAL_THRESHOLD wait for a second. */
      approvals?: ApprovalGate;
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
    // The escrow id follows from the command id, so a retried create lands on the same escrow.
    const escrowId = isUuid(commandId) ? derivedId(`escrow:${commandId}`) : '';
    const envelope = (payload: CommandEnvelope<'CreateEscrow'>['payload']) =>
      this.envelope('CreateEscrow', escrowId, actor, payload, { ...opts, commandId });
    if (!isUuid(commandId)) return this.refuse(envelope(input), invalid('commandId', 'must be a UUID'));
    const rail = this.deps.rails.get(input.rail);
    if (!rail) return this.refuse(envelope(input), railNotEnabled(input.rail, this.deps.rails));
    const blocked = await this.blacklisted(actor, input, 'open an escrow');
    if (blocked) return this.refuse(envelope(input), blocked);
    // In process, the command path decides the create once and then asks the rail (CommandHandler).
    if (!this.deps.remote) return this.deps.handler.handle(envelope(input));
    // Kafka mode: the workers decide it, so it is checked here before the provider is asked for anything, and the
    // command travels complete; a refused create or a provider failure is answered at once, not from a worker.
    const now = this.deps.clock.now().toISOString();
    const ctx = decideContext(commandId, actor, now, this.deps.remote.policy);
    let pending: ReturnType<typeof decideCreation>;
    try {
      pending = decideCreation({ ...input, type: 'CreateEscrow' }, null, ctx);
    } catch (err) {
      if (err instanceof DomainError) return this.refuse(envelope(input), err);
      throw err;
    }
    const payment = await paymentInstructions(rail, escrowId, commandId, pending);
    return this.deps.handler.handle(envelope({ ...input, payment }));
  }

  async execute<T extends Exclude<CommandType, 'CreateEscrow'>>(
    type: T,
    escrowId: string,
    actor: Actor,
    payload: CommandEnvelope<T>['payload'],
    opts: SubmitOptions = {},
  ): Promise<HandledCommand> {
    const envelope = this.envelope(type, escrowId, actor, payload, opts);
    if (!isUuid(escrowId)) {
      return this.refuse(envelope, new DomainError('ESCROW_NOT_FOUND', `escrow ${String(escrowId)} not found`));
    }
    // admins only: anyone else is refused by the command path without learning of the escrow or the list
    if ((type === 'ConfirmPayment' || type === 'ApplySuspense') && actor.role === 'admin') {
      const blocked = await this.fundingBlacklisted(actor, escrowId, type);
      if (blocked) return this.refuse(envelope, blocked);
    }
    if (actor.role === 'admin' && !opts.approved && this.deps.approvals?.covers(type)) {
      await this.deps.approvals.screen(envelope);
    }
    return this.deps.handler.handle(envelope);
  }

  /**
   * An admin funding an escrow by hand checks its parties as a create does. Only while it awaits funds: afterwards
   * the command is a retry of one already applied (the command path replays it) or is refused there anyway.
   */
  private async fundingBlacklisted(actor: Actor, escrowId: string, type: CommandType): Promise<DomainError | null> {
    if (!this.deps.blacklist || !this.deps.escrows) return null;
    const escrow = await this.deps.escrows.getEscrow(escrowId);
    if (!escrow || escrow.status !== 'AWAIT_FUNDS') return null;
    const what = type === 'ConfirmPayment' ? 'confirm the payment' : 'apply money in suspense to this escrow';
    const refusal = await this.blacklisted(actor, escrow, what);
    if (!refusal) return null;
    return new DomainError(
      'BLACKLISTED',
      `${refusal.message}; the escrow stays AWAIT_FUNDS: return the money to the payer (escrow suspense refund), ` +
        'or remove the entry if it is a mistake (escrow blacklist remove)',
      refusal.details,
    );
  }

  /** BLACKLISTED naming the listed party; the entry's reason only to service and admin callers (never a user). */
  private async blacklisted(
    actor: Actor,
    parties: { buyerId?: unknown; sellerId?: unknown },
    what: string,
  ): Promise<DomainError | null> {
    if (!this.deps.blacklist) return null;
    const ids = [parties.buyerId, parties.sellerId].filter((v): v is string => typeof v === 'string');
    const hits = await this.deps.blacklist.check({ userIds: ids });
    if (hits.length === 0) return null;
    const who = hits.map((h) => (h.value === parties.buyerId ? `the buyer ${h.value}` : `the seller ${h.value}`));
    const why =
      actor.role === 'user' ? '' : ` (${hits.map((h) => `entry ${h.entryId}, ${h.source}: ${h.reason}`).join('; ')})`;
    return new DomainError('BLACKLISTED', `cannot ${what}: ${who.join(' and ')} may not trade here${why}`, {
      errors: hits.map((h) => ({
        field: h.value === parties.buyerId ? 'buyerId' : 'sellerId',
        message: 'is on the blacklist; an admin can review it (GET /api/admin/blacklist)',
      })),
    });
  }

  /** Audits a refusal made here (never failing the answer: the recorder reports its own failures) and throws it. */
  private async refuse(envelope: CommandEnvelope, err: DomainError): Promise<never> {
    await this.deps.refusals?.auditRefusal(envelope, err);
    throw err;
  }
}

/** What audits refused commands (the command handler). */
export interface RefusalRecorder {
  auditRefusal(envelope: CommandEnvelope, err: DomainError): Promise<void>;
}
