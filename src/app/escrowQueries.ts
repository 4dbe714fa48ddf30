import { DomainError, PAGE_SIZE, fold, invalid, type Actor, type Escrow, type LedgerEntry } from '../domain/index.js';
import type { HandledCommand } from './ports/index.js';
import { isUuid } from './ids.js';
import type {
  AuditEntry,
  CommandOutcomes,
  EscrowFilter,
  EscrowReadModel,
  StoredEvent,
  SuspenseEntry,
  SuspenseFilter,
} from './ports/index.js';
import { toDomainEvent } from './verify.js';

export interface EscrowDetails {
  escrow: Escrow;
  events?: StoredEvent[];
  ledger?: (LedgerEntry & { createdAt: string })[];
  audit?: AuditEntry[];
}

export type Include = 'events' | 'ledger' | 'audit';

/** The largest page a list answers. */
export const MAX_PAGE = PAGE_SIZE.max;

/** A command's outcome as its submitter (or an admin) may read it. */
export type CommandStatus =
  | { commandId: string; escrowId: string; type: string; status: 'PENDING' }
  | { commandId: string; escrowId: string; type: string; status: 'FAILED'; error: { code: string; message: string } }
  | ({ status: 'SUCCEEDED' } & Record<string, unknown>);

/**
 * The read side for every caller (HTTP, CLI, console), with the visibility rules: a user sees only escrows they are a
 * party of, and only admins read the audit log.
 */
export class EscrowQueryService {
  constructor(
    private readonly deps: {
      readModel: EscrowReadModel;
      /** Kafka mode: commands handed to the workers and not applied yet. */
      outcomes?: Pick<CommandOutcomes, 'pendingCommand'>;
    },
  ) {}

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
    if (filter.flagged !== undefined && actor.role !== 'admin') {
      throw new DomainError('FORBIDDEN', 'only admins may list escrows by their review flag');
    }
    const f: EscrowFilter = { ...filter, ...(actor.role === 'user' ? { partyId: actor.id } : {}) };
    if (filter.createdFrom !== undefined) f.createdFrom = instant(filter.createdFrom, 'createdFrom');
    if (filter.createdTo !== undefined) f.createdTo = instant(filter.createdTo, 'createdTo');
    const rows = await this.deps.readModel.listEscrows(f, limit + 1, cursor ? decodeCursor(cursor) : null);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { data: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /** Money in suspense, for admins: newest first, with what the suspense account holds per currency. */
  async suspense(
    actor: Actor,
    filter: SuspenseFilter,
    limit: number = PAGE_SIZE.default,
    cursor: string | null = null,
  ): Promise<{
    data: SuspenseEntry[];
    nextCursor: string | null;
    openTotals: { currency: string; amount: bigint; items: number }[];
  }> {
    if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'only admins may list money in suspense');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid('limit', `must be 1-${MAX_PAGE}`);
    if (filter.escrowId !== undefined && !isUuid(filter.escrowId)) throw invalid('escrowId', 'must be a UUID');
    const after = cursor ? decodeCursor(cursor) : null;
    const rm = this.deps.readModel;
    const [rows, openTotals] = await Promise.all([
      rm.listSuspense(filter, limit + 1, after && { receivedAt: after.createdAt, id: after.id }),
      rm.openSuspenseTotals(),
    ]);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const nextCursor = rows.length > limit && last ? encodeCursor({ createdAt: last.receivedAt, id: last.id }) : null;
    return { data: page, nextCursor, openTotals };
  }

  /** The escrow a suspense item belongs to (admins only); null when there is no such item. */
  async escrowOfSuspense(actor: Actor, suspenseId: string): Promise<string | null> {
    if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'only admins may act on money in suspense');
    return this.deps.readModel.escrowOfSuspense(suspenseId);
  }

  /** The escrow as it was right after the command: a replay answers exactly what the first request got. */
  async asOfCommand(h: HandledCommand): Promise<Escrow> {
    if (!h.duplicate || h.escrow.version === h.result.version) return h.escrow;
    const events = (await this.deps.readModel.events(h.result.escrowId)).filter((e) => e.sequence <= h.result.version);
    return fold(h.result.escrowId, events.map(toDomainEvent)) ?? h.escrow;
  }

  /** A command's outcome: SUCCEEDED, FAILED (refused) or PENDING; null when unknown or not the caller's. */
  async commandStatus(actor: Actor, commandId: string): Promise<CommandStatus | null> {
    if (!isUuid(commandId)) return null;
    const mine = (c: { actorId: string } | null) => c && (actor.role === 'admin' || c.actorId === actor.id);
    const found = await this.deps.readModel.commandResult(commandId);
    if (!found) {
      const pending = (await this.deps.outcomes?.pendingCommand(commandId)) ?? null;
      if (pending && mine(pending)) {
        return { commandId, escrowId: pending.escrowId, type: pending.type, status: 'PENDING' };
      }
      return null;
    }
    if (!mine(found)) return null;
    const { actorId: _a, requestHash: _h, rejection, ...result } = found;
    if (rejection) {
      const { escrowId, type } = result;
      return {
        commandId,
        escrowId,
        type,
        status: 'FAILED',
        error: { code: rejection.code, message: rejection.message },
      };
    }
    return { ...result, status: 'SUCCEEDED' };
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

const encodeCursor = (e: Pick<Escrow, 'createdAt' | 'id'>): string =>
  Buffer.from(JSON.stringify([e.createdAt, e.id])).toString('base64url');

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
