import { DomainError, invalid, isStorableText, type Actor } from '../domain/index.js';
import {
  IDENTIFIER_PATTERN,
  IDENTIFIER_RULE,
  ISO_DATE_TIME as ISO,
  TEXT_MAX_LENGTH,
  UNSTORABLE_TEXT_RULE,
} from '../domain/limits.js';
import { isUuid, newId } from './ids.js';
import {
  BLACKLIST_KINDS,
  blacklistEntryExists,
  type BlacklistEntry,
  type BlacklistKind,
  type BlacklistPosition,
  type BlacklistStore,
} from './ports/blacklistStore.js';
import type { BlacklistSnapshot } from './blacklistSnapshot.js';
import type { Clock } from './ports/clock.js';

const USER_ID = new RegExp(IDENTIFIER_PATTERN);
const WALLET = /^[A-Za-z0-9:_.-]{1,128}$/;
const WALLET_RULE =
  'must be 1-128 of A-Z a-z 0-9 : _ . - (a wallet address, e.g. 0x8ba1f109551bd432803012645ac136ddd64dba72)';
const SOURCE = /^[A-Za-z0-9:_.-]{1,64}$/;
const SOURCE_RULE = 'must be 1-64 of A-Z a-z 0-9 : _ . - (e.g. MANUAL, OFAC, CHAINALYSIS, SUPPORT_TICKET-123)';

/** Entries per page of the admin list: the default and the most a caller may ask for. */
export const BLACKLIST_PAGE_SIZE = { default: 50, max: 100 } as const;

export interface BlacklistAddInput {
  kind: string;
  value: string;
  reason: string;
  /** Default MANUAL. */
  source?: string;
  /** ISO time in the future; null or absent: no expiry. */
  expiresAt?: string | null;
  dryRun?: boolean;
}

export interface BlacklistListInput {
  kind?: string;
  /** true: active only; false: removed or expired only; absent: every entry. */
  active?: boolean;
  limit?: number;
  cursor?: string | null;
}

/** An entry as added or removed; with `dryRun` what it would be, stored nowhere and not audited. */
export interface BlacklistChange {
  entry: BlacklistEntry;
  dryRun: boolean;
}

export interface BlacklistPage {
  data: BlacklistEntry[];
  nextCursor: string | null;
}

/** An active entry a create or a payment ran into: the create is refused, the payment takes the refund path. */
export interface BlacklistHit {
  entryId: string;
  kind: BlacklistKind;
  value: string;
  reason: string;
  source: string;
  expiresAt: string | null;
}

/**
 * The blacklist (SPEC §6, seed 003 RB-04): user ids and wallet addresses admins bar, with a reason, a source and an
 * optional expiry, checked when an escrow is created and when a payment arrives. Every change is audited with who
 * and why; removing keeps the entry (its history); a dry run validates and looks for conflicts but stores nothing.
 */
export class BlacklistService {
  constructor(
    private readonly deps: {
      store: BlacklistStore;
      clock: Clock;
      newId?: () => string;
      /** The in-memory list checks use once watching (BlacklistSnapshot); without it every check is a query. */
      snapshot?: BlacklistSnapshot;
    },
  ) {}

  /** Keeps the active list in memory from now on (a started engine); the returned function stops. */
  watch(): Promise<() => Promise<void>> {
    return this.deps.snapshot ? this.deps.snapshot.watch() : Promise.resolve(() => Promise.resolve());
  }

  async add(actor: Actor, input: BlacklistAddInput): Promise<BlacklistChange> {
    const now = this.deps.clock.now();
    const kind = kindOf(input.kind, 'kind');
    const fields = {
      kind,
      value: valueOf(kind, input.value),
      reason: textOf(input.reason, 'reason'),
      source: input.source === undefined ? 'MANUAL' : sourceOf(input.source),
      expiresAt: expiryOf(input.expiresAt, now),
    };
    const at = now.toISOString();
    const id = (this.deps.newId ?? newId)();
    if (input.dryRun) {
      const [active] = await this.deps.store.findActive({
        userIds: kind === 'USER' ? [fields.value] : [],
        wallets: kind === 'WALLET' ? [fields.value] : [],
        now: at,
      });
      if (active) throw blacklistEntryExists(active);
      return { entry: { id, ...fields, ...created(actor, at) }, dryRun: true };
    }
    try {
      const entry = await this.deps.store.add({ id, ...fields, actor: { id: actor.id, role: actor.role }, at });
      return { entry, dryRun: false };
    } finally {
      // the very next check in this process sees the change (other processes: its NOTIFY)
      this.deps.snapshot?.changed();
    }
  }

  async remove(actor: Actor, input: { id: string; reason: string; dryRun?: boolean }): Promise<BlacklistChange> {
    if (!isUuid(input.id)) throw invalid('entryId', 'must be a blacklist entry id (a UUID; escrow blacklist list)');
    const reason = textOf(input.reason, 'reason');
    const at = this.deps.clock.now().toISOString();
    const current = await this.deps.store.get(input.id);
    if (!current || current.removedAt !== null) throw notFound(input.id, current);
    if (input.dryRun) {
      return { entry: { ...current, removedAt: at, removedBy: actor.id, removalReason: reason }, dryRun: true };
    }
    const entry = await this.deps.store
      .remove({ id: input.id, reason, actor: { id: actor.id, role: actor.role }, at })
      .finally(() => this.deps.snapshot?.changed());
    // removed by someone else between the look and the change
    if (!entry) throw notFound(input.id, await this.deps.store.get(input.id));
    return { entry, dryRun: false };
  }

  async list(input: BlacklistListInput = {}): Promise<BlacklistPage> {
    const limit = input.limit ?? BLACKLIST_PAGE_SIZE.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > BLACKLIST_PAGE_SIZE.max) {
      throw invalid('limit', `must be 1-${BLACKLIST_PAGE_SIZE.max}`);
    }
    const rows = await this.deps.store.list({
      ...(input.kind === undefined ? {} : { kind: kindOf(input.kind, 'kind') }),
      ...(input.active === undefined ? {} : { active: input.active }),
      now: this.deps.clock.now().toISOString(),
      limit: limit + 1,
      after: input.cursor ? decodeCursor(input.cursor) : null,
    });
    const data = rows.slice(0, limit);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async get(id: string): Promise<BlacklistEntry> {
    if (!isUuid(id)) throw invalid('entryId', 'must be a blacklist entry id (a UUID; escrow blacklist list)');
    const entry = await this.deps.store.get(id);
    if (!entry) throw notFound(id, null);
    return entry;
  }

  /**
   * The active entries among these user ids and wallet addresses (any case), now: what the create and payment
   * paths ask. Values no entry could have (malformed) are passed over, never an error: the caller's own validation
   * speaks for them.
   */
  async check(input: { userIds?: readonly string[]; wallets?: readonly string[] }): Promise<BlacklistHit[]> {
    const userIds = unique((input.userIds ?? []).filter((u) => USER_ID.test(u)));
    const wallets = unique((input.wallets ?? []).filter((w) => WALLET.test(w)).map((w) => w.toLowerCase()));
    if (userIds.length === 0 && wallets.length === 0) return [];
    const now = this.deps.clock.now().toISOString();
    const entries = await (this.deps.snapshot ?? this.deps.store).findActive({ userIds, wallets, now });
    return entries.map((e) => ({
      entryId: e.id,
      kind: e.kind,
      value: e.value,
      reason: e.reason,
      source: e.source,
      expiresAt: e.expiresAt,
    }));
  }
}

const created = (actor: Actor, at: string) => ({
  createdBy: actor.id,
  createdAt: at,
  removedAt: null,
  removedBy: null,
  removalReason: null,
});

const unique = (values: string[]): string[] => [...new Set(values)];

function kindOf(kind: unknown, field: string): BlacklistKind {
  if (typeof kind !== 'string' || !(BLACKLIST_KINDS as readonly string[]).includes(kind)) {
    throw invalid(field, `must be one of ${BLACKLIST_KINDS.join(', ')}`);
  }
  return kind as BlacklistKind;
}

function valueOf(kind: BlacklistKind, value: unknown): string {
  if (typeof value !== 'string') throw invalid('value', kind === 'USER' ? IDENTIFIER_RULE : WALLET_RULE);
  if (kind === 'USER') {
    if (!USER_ID.test(value)) throw invalid('value', `${IDENTIFIER_RULE} (the user id as in buyerId / sellerId)`);
    return value;
  }
  if (!WALLET.test(value)) throw invalid('value', WALLET_RULE);
  return value.toLowerCase();
}

function textOf(text: unknown, field: string): string {
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw invalid(field, `must be 1-${max} characters saying why (kept in the audit log)`);
  }
  if (!isStorableText(trimmed)) throw invalid(field, UNSTORABLE_TEXT_RULE);
  return trimmed;
}

function sourceOf(source: unknown): string {
  if (typeof source !== 'string' || !SOURCE.test(source)) throw invalid('source', SOURCE_RULE);
  return source;
}

function expiryOf(expiresAt: unknown, now: Date): string | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const ms = typeof expiresAt === 'string' && ISO.test(expiresAt) ? Date.parse(expiresAt) : NaN;
  if (!Number.isFinite(ms) || ms >= Date.UTC(10000, 0, 1)) {
    throw invalid('expiresAt', 'must be an ISO 8601 date-time (e.g. 2027-06-30T00:00:00Z), or null for no expiry');
  }
  if (ms <= now.getTime()) {
    throw invalid('expiresAt', `must be in the future (it is ${now.toISOString()} now), or null for no expiry`);
  }
  return new Date(ms).toISOString();
}

function notFound(id: string, current: BlacklistEntry | null): DomainError {
  const message = current
    ? `blacklist entry ${id} was already removed at ${current.removedAt} by ${current.removedBy}: nothing to remove`
    : `no blacklist entry ${id} (escrow blacklist list --all shows every entry)`;
  return new DomainError('BLACKLIST_ENTRY_NOT_FOUND', message);
}

const encodeCursor = (e: BlacklistPosition): string =>
  Buffer.from(JSON.stringify([e.createdAt, e.id])).toString('base64url');

function decodeCursor(cursor: string): BlacklistPosition {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && ISO.test(v[0]) && isUuid(v[1])) {
      return { createdAt: v[0], id: v[1] };
    }
  } catch {
    // fall through
  }
  throw invalid('cursor', 'is not a cursor this API returned (pass nextCursor of the previous page)');
}
