import { DomainError } from '../../domain/index.js';

/** What is barred: a marketplace user id (as in buyerId / sellerId) or a wallet address. */
export type BlacklistKind = 'USER' | 'WALLET';

export const BLACKLIST_KINDS: readonly BlacklistKind[] = ['USER', 'WALLET'];

/** One blacklist entry; a removed one is kept (soft delete) with who removed it and why. */
export interface BlacklistEntry {
  id: string;
  kind: BlacklistKind;
  /** USER: the user id as given; WALLET: the address in lower case. */
  value: string;
  reason: string;
  /** Where it came from: MANUAL, OFAC, CHAINALYSIS, SUPPORT_TICKET-123 ... */
  source: string;
  /** When it stops applying by itself; null: never. */
  expiresAt: string | null;
  createdBy: string;
  createdAt: string;
  removedAt: string | null;
  removedBy: string | null;
  removalReason: string | null;
}

export interface BlacklistActor {
  id: string;
  role: string;
}

export interface NewBlacklistEntry {
  id: string;
  kind: BlacklistKind;
  value: string;
  reason: string;
  source: string;
  expiresAt: string | null;
  actor: BlacklistActor;
  at: string;
}

export interface BlacklistRemoval {
  id: string;
  reason: string;
  actor: BlacklistActor;
  at: string;
}

/** An entry's position in the list (newest first): the last one of the previous page. */
export interface BlacklistPosition {
  createdAt: string;
  id: string;
}

export interface BlacklistListQuery {
  kind?: BlacklistKind;
  /** true: active only; false: removed or expired only; absent: every entry. */
  active?: boolean;
  /** What "active" is measured against (ISO time). */
  now: string;
  limit: number;
  after: BlacklistPosition | null;
}

export interface BlacklistStore {
  /**
   * Adds the entry with its BlacklistEntryAdded audit row in one transaction. An entry of the same (kind, value)
   * still active refuses it (DomainError BLACKLIST_ENTRY_EXISTS naming that entry); one that has expired is retired.
   */
  add(entry: NewBlacklistEntry): Promise<BlacklistEntry>;
  /** Stamps the entry removed with its BlacklistEntryRemoved audit row; null when there is no such entry not removed. */
  remove(removal: BlacklistRemoval): Promise<BlacklistEntry | null>;
  get(id: string): Promise<BlacklistEntry | null>;
  /** Entries newest first (created_at, then id, descending). */
  list(query: BlacklistListQuery): Promise<BlacklistEntry[]>;
  /** The active entries among these user ids and (lower-case) wallet addresses at `now`: one indexed query. */
  findActive(query: { userIds: readonly string[]; wallets: readonly string[]; now: string }): Promise<BlacklistEntry[]>;
  /** Every entry not removed (expired ones too), at most `limit` of them: the snapshot a process checks against. */
  notRemoved(limit: number): Promise<BlacklistEntry[]>;
  /**
   * Calls `onChange` after any add or remove commits, in any process, and whenever notifications may have been lost
   * (a reconnect). Returns the unsubscribe.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}

/** The refusal of an entry whose (kind, value) already has an active one: names that entry and what to do. */
export function blacklistEntryExists(active: BlacklistEntry): DomainError {
  const until = active.expiresAt ? `until ${active.expiresAt}` : 'with no expiry';
  return new DomainError(
    'BLACKLIST_ENTRY_EXISTS',
    `${active.kind} ${active.value} is already blacklisted by entry ${active.id} (${active.source}: ` +
      `${active.reason}; ${until}); remove that entry first to replace it`,
    { errors: [{ field: 'value', message: `already blacklisted by entry ${active.id}` }] },
  );
}
