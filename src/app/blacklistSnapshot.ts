import type { BlacklistEntry, BlacklistStore } from './ports/blacklistStore.js';

/** Past this many entries not removed the snapshot is not kept: every check asks the database (one indexed query). */
export const BLACKLIST_SNAPSHOT_MAX_ENTRIES = 100_000;
/**
 * A snapshot older than this is read again even without a change notification: the bound on a lost one (a listening
 * connection dropped without notice, a change made by hand in SQL), at one indexed read per process per 5 s.
 */
export const BLACKLIST_SNAPSHOT_MAX_AGE_MS = 5_000;

type Lookup = Pick<BlacklistStore, 'findActive' | 'notRemoved' | 'watch'>;

interface Snapshot {
  generation: number;
  loadedAt: number;
  /** `${kind}:${value}` → its active entry; null: too many entries to keep (the database answers). */
  byKey: Map<string, BlacklistEntry> | null;
}

/**
 * The active blacklist held in memory, so that a create or a payment checks it without a query (seed 003 RB-04 puts
 * the check on every create and every payment). Every add and remove sends a NOTIFY in its own transaction,
 * delivered at commit to every process watching, and a notification (or a reconnect, after which notifications may
 * have been lost) makes the next check read the list again. In this process a change invalidates at once
 * (`changed()` after the commit), so an admin's add applies to the very next create; another replica applies it once
 * the notification arrives (milliseconds), and at the latest BLACKLIST_SNAPSHOT_MAX_AGE_MS (5 s) after it, should the
 * notification be lost. Expiry needs no notification:
 * each check compares against its own time. Until `watch()` runs (CLI commands, tests without a started engine),
 * and past BLACKLIST_SNAPSHOT_MAX_ENTRIES entries, every check is the store's query.
 */
export class BlacklistSnapshot {
  private generation = 0;
  private snapshot: Snapshot | null = null;
  private loading: { generation: number; promise: Promise<Snapshot> } | null = null;
  private watching = false;

  constructor(
    private readonly store: Lookup,
    private readonly opts: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {},
  ) {}

  /** Starts keeping the snapshot; the returned function stops (and drops it). */
  async watch(): Promise<() => Promise<void>> {
    const unwatch = await this.store.watch(() => this.changed());
    this.changed();
    this.watching = true;
    return async () => {
      this.watching = false;
      this.changed();
      await unwatch();
    };
  }

  /** An add or remove committed (here, or a notification from another process): the next check reads the list. */
  changed(): void {
    this.generation++;
    this.snapshot = null;
  }

  async findActive(q: { userIds: readonly string[]; wallets: readonly string[]; now: string }) {
    if (!this.watching) return this.store.findActive(q);
    const { byKey } = await this.current();
    if (!byKey) return this.store.findActive(q);
    const at = Date.parse(q.now);
    const keys = [...q.userIds.map((v) => `USER:${v}`), ...q.wallets.map((v) => `WALLET:${v}`)];
    const hits: BlacklistEntry[] = [];
    for (const key of new Set(keys)) {
      const e = byKey.get(key);
      if (e && (e.expiresAt === null || Date.parse(e.expiresAt) > at)) hits.push(e);
    }
    // the store's order (kind, value)
    return hits.sort((a, b) => (a.kind === b.kind ? cmp(a.value, b.value) : cmp(a.kind, b.kind)));
  }

  private now(): number {
    return this.opts.now?.() ?? performance.now();
  }

  private current(): Promise<Snapshot> {
    const s = this.snapshot;
    const maxAge = this.opts.maxAgeMs ?? BLACKLIST_SNAPSHOT_MAX_AGE_MS;
    if (s && s.generation === this.generation && this.now() - s.loadedAt < maxAge) return Promise.resolve(s);
    // a load begun before the latest change may miss it: a check that starts after the change never joins it
    if (this.loading?.generation === this.generation) return this.loading.promise;
    const generation = this.generation;
    const promise = this.load(generation).finally(() => {
      if (this.loading?.promise === promise) this.loading = null;
    });
    this.loading = { generation, promise };
    return promise;
  }

  private async load(generation: number): Promise<Snapshot> {
    const max = this.opts.maxEntries ?? BLACKLIST_SNAPSHOT_MAX_ENTRIES;
    const loadedAt = this.now();
    const rows = await this.store.notRemoved(max + 1);
    const byKey = rows.length > max ? null : new Map(rows.map((e) => [`${e.kind}:${e.value}`, e]));
    const snapshot = { generation, loadedAt, byKey };
    if (generation === this.generation) this.snapshot = snapshot;
    return snapshot;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
