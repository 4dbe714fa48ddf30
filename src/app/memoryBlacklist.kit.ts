import {
  blacklistEntryExists,
  type BlacklistEntry,
  type BlacklistListQuery,
  type BlacklistRemoval,
  type BlacklistStore,
  type NewBlacklistEntry,
} from './ports/blacklistStore.js';

/** The store port in memory, with the SQL adapter's rules: one entry not removed per (kind, value), soft delete. */
export class MemoryBlacklistStore implements BlacklistStore {
  readonly entries: BlacklistEntry[] = [];
  readonly audits: { action: string; actorId: string; details: Record<string, unknown> }[] = [];
  /** How many times each read ran: the snapshot's tests count the queries it saves. */
  readonly reads = { findActive: 0, notRemoved: 0 };
  private readonly watchers = new Set<() => void>();
  /** true: changes send no notification (a lost NOTIFY, a dropped listening connection). */
  silent = false;

  add(e: NewBlacklistEntry): Promise<BlacklistEntry> {
    const current = this.entries.find((x) => x.kind === e.kind && x.value === e.value && x.removedAt === null);
    if (current && isActive(current, e.at)) return Promise.reject(blacklistEntryExists(current));
    if (current) Object.assign(current, { removedAt: e.at, removedBy: e.actor.id, removalReason: 'expired' });
    const entry: BlacklistEntry = {
      id: e.id,
      kind: e.kind,
      value: e.value,
      reason: e.reason,
      source: e.source,
      expiresAt: e.expiresAt,
      createdBy: e.actor.id,
      createdAt: e.at,
      removedAt: null,
      removedBy: null,
      removalReason: null,
    };
    this.entries.push(entry);
    this.audits.push({ action: 'BlacklistEntryAdded', actorId: e.actor.id, details: { reason: e.reason, entry } });
    if (!this.silent) this.notify();
    return Promise.resolve({ ...entry });
  }

  remove(r: BlacklistRemoval): Promise<BlacklistEntry | null> {
    const entry = this.entries.find((x) => x.id === r.id && x.removedAt === null);
    if (!entry) return Promise.resolve(null);
    Object.assign(entry, { removedAt: r.at, removedBy: r.actor.id, removalReason: r.reason });
    this.audits.push({ action: 'BlacklistEntryRemoved', actorId: r.actor.id, details: { reason: r.reason, entry } });
    if (!this.silent) this.notify();
    return Promise.resolve({ ...entry });
  }

  get(id: string): Promise<BlacklistEntry | null> {
    const entry = this.entries.find((x) => x.id === id);
    return Promise.resolve(entry ? { ...entry } : null);
  }

  list(q: BlacklistListQuery): Promise<BlacklistEntry[]> {
    const rows = [...this.entries]
      .sort((a, b) => (b.createdAt + b.id).localeCompare(a.createdAt + a.id))
      .filter((e) => q.kind === undefined || e.kind === q.kind)
      .filter((e) => q.active === undefined || isActive(e, q.now) === q.active)
      .filter((e) => !q.after || (e.createdAt + e.id).localeCompare(q.after.createdAt + q.after.id) < 0);
    return Promise.resolve(rows.slice(0, q.limit).map((e) => ({ ...e })));
  }

  findActive(q: { userIds: readonly string[]; wallets: readonly string[]; now: string }) {
    this.reads.findActive++;
    return Promise.resolve(
      this.entries.filter(
        (e) =>
          isActive(e, q.now) &&
          ((e.kind === 'USER' && q.userIds.includes(e.value)) || (e.kind === 'WALLET' && q.wallets.includes(e.value))),
      ),
    );
  }

  notRemoved(limit: number): Promise<BlacklistEntry[]> {
    this.reads.notRemoved++;
    return Promise.resolve(
      this.entries
        .filter((e) => e.removedAt === null)
        .slice(0, limit)
        .map((e) => ({ ...e })),
    );
  }

  /** Like the SQL adapter's NOTIFY: every watcher hears of each change, after it is stored. */
  watch(onChange: () => void): Promise<() => Promise<void>> {
    this.watchers.add(onChange);
    return Promise.resolve(() => {
      this.watchers.delete(onChange);
      return Promise.resolve();
    });
  }

  /** A notification from "another process" (or a reconnect). */
  notify(): void {
    for (const w of this.watchers) w();
  }
}

const isActive = (e: BlacklistEntry, now: string) =>
  e.removedAt === null && (e.expiresAt === null || Date.parse(e.expiresAt) > Date.parse(now));
