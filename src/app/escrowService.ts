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

  async get(actor: Actor, escrowId: string, include: readonly Include[] = []): Promise<EscrowDetails> {
    const notFound = new DomainError('ESCROW_NOT_FOUND', `escrow ${String(escrowId)} not found`);
    if (!isUuid(escrowId)) throw notFound;
    const escrow = await this.deps.readModel.getEscrow(escrowId);
    if (!escrow || !canSee(actor, escrow)) throw notFound;
    if (include.includes('audit') && actor.role !== 'admin') {
      throw new DomainError('FORBIDDEN', 'only admins may read the audit log');
    }
    const rm = this.deps.readModel;
    const [events, ledger, audit] = await Promise.all([
      include.includes('events') ? rm.events(escrowId) : undefined,
      include.includes('ledger') ? rm.ledger(escrowId) : undefined,
      include.includes('audit') ? rm.audit(escrowId) : undefined,
    ]);
    return { escrow, ...(events && { events }), ...(ledger && { ledger }), ...(audit && { audit }) };
  }

  async list(
    actor: Actor,
    filter: Omit<EscrowFilter, 'partyId'>,
    limit = 20,
    cursor: string | null = null,
  ): Promise<{ data: Escrow[]; nextCursor: string | null }> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid('limit', `must be 1-${MAX_PAGE}`);
    const f: EscrowFilter = { ...filter, ...(actor.role === 'user' ? { partyId: actor.id } : {}) };
    if (filter.createdFrom !== undefined) f.createdFrom = instant(filter.createdFrom, 'createdFrom');
    if (filter.createdTo !== undefined) f.createdTo = instant(filter.createdTo, 'createdTo');
    const rows = await this.deps.readModel.listEscrows(f, limit + 1, cursor ? decodeCursor(cursor) : null);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { data: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }
}

export const canSee = (actor: Actor, e: Escrow): boolean =>
  actor.role !== 'user' || actor.id === e.buyerId || actor.id === e.sellerId;

/** An ISO-8601 instant between 1970 and 9999, normalised to UTC milliseconds; anything else is bad input. */
function instant(value: string, field: string): string {
  const ms = Date.parse(value);
  const ok =
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
    Number.isFinite(ms) &&
    ms >= 0 &&
    ms < Date.UTC(10000, 0, 1);
  if (!ok) throw invalid(field, 'must be an ISO-8601 date-time between 1970 and 9999');
  return new Date(ms).toISOString();
}

const encodeCursor = (e: Escrow): string => Buffer.from(JSON.stringify([e.createdAt, e.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && isUuid(v[1])) {
      return { createdAt: instant(v[0], 'cursor'), id: v[1] };
    }
  } catch {
    // fall through
  }
  throw invalid('cursor', 'is not a cursor this API returned');
}
