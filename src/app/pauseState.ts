import type { Pause, PauseScope, PauseStore } from './ports/pauseStore.js';

/**
 * The advertised delay: a pause or resume is in force on every replica and role within this long. A notification
 * makes it milliseconds; this bounds a lost one (the state is read again every half of it, and on any read of a state
 * older than it).
 */
export const PAUSE_MAX_AGE_MS = 2_000;

/** The pauses in force, by scope. */
export type PausesInForce = Readonly<Partial<Record<PauseScope, Pause>>>;

type Lookup = Pick<PauseStore, 'inForce' | 'watch'>;

/**
 * The pauses in force held in memory, so that the HTTP hook (every request) and the worker loops (every tick) check
 * them without a query. Kept by NOTIFY like the blacklist's snapshot (every change notifies in its own transaction,
 * delivered at commit to every process watching; a reconnect, after which notifications may have been lost, reads it
 * again), and read again every PAUSE_MAX_AGE_MS / 2 besides: a pause holds everywhere within PAUSE_MAX_AGE_MS even if
 * its notification is lost. A read that fails (the database is down) keeps the last known state. Until `watch()`
 * runs (CLI commands, an engine not started) nothing is held: `inForce` asks the store.
 */
export class PauseState {
  private pauses: PausesInForce = {};
  private loadedAt = Number.NEGATIVE_INFINITY;
  private watching = false;
  /** Loads are applied in the order they started: a load that started before a change never undoes it. */
  private started = 0;
  private applied = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(pauses: PausesInForce) => void>();
  private failing = false;

  constructor(
    private readonly store: Lookup,
    private readonly opts: { maxAgeMs?: number; now?: () => number; onError?: (err: unknown) => void } = {},
  ) {}

  /** Starts keeping the state (its first read included); the returned function stops. */
  async watch(): Promise<() => Promise<void>> {
    const unwatch = await this.store.watch(() => void this.refresh());
    try {
      await this.refresh({ rethrow: true });
    } catch (err) {
      await unwatch();
      throw err;
    }
    this.watching = true;
    this.timer = setInterval(() => this.inFlight === 0 && void this.refresh(), this.maxAge() / 2);
    this.timer.unref();
    return async () => {
      this.watching = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await unwatch();
    };
  }

  /** The pause in force for `scope` in memory, or null: synchronous, no query (a stale state is read again behind). */
  current(scope: PauseScope): Pause | null {
    if (!this.watching) return null;
    if (this.now() - this.loadedAt >= this.maxAge() && this.inFlight === 0) void this.refresh();
    return this.pauses[scope] ?? null;
  }

  /** Whether the state is held (watching); if not, `current` knows nothing and `inForce` asks the store. */
  get held(): boolean {
    return this.watching;
  }

  /** The pauses in force: from memory once watching, else from the store. */
  async inForce(): Promise<PausesInForce> {
    if (this.watching) return this.pauses;
    return byScope(await this.store.inForce());
  }

  /** A change committed in this process: read again now (resolves once applied here); nothing until watching. */
  changed(): Promise<void> {
    return this.watching ? this.refresh() : Promise.resolve();
  }

  /** Called with the new state whenever a pause is set or lifted (here or anywhere); returns the unsubscribe. */
  onChange(listener: (pauses: PausesInForce) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async refresh(o: { rethrow?: boolean } = {}): Promise<void> {
    const seq = ++this.started;
    const at = this.now();
    this.inFlight++;
    try {
      const rows = await this.store.inForce();
      this.failing = false;
      if (seq > this.applied) this.apply(seq, at, byScope(rows));
    } catch (err) {
      if (o.rethrow) throw err;
      // once per streak: a database outage is told by the database adapter
      if (!this.failing) this.opts.onError?.(err);
      this.failing = true;
    } finally {
      this.inFlight--;
    }
  }

  private apply(seq: number, at: number, next: PausesInForce): void {
    this.applied = seq;
    this.loadedAt = at;
    const before = this.pauses;
    this.pauses = next;
    const same = (['payouts', 'intake'] as const).every((s) => before[s]?.id === next[s]?.id);
    if (same) return;
    for (const l of this.listeners) {
      try {
        l(next);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  private maxAge(): number {
    return this.opts.maxAgeMs ?? PAUSE_MAX_AGE_MS;
  }

  private now(): number {
    return this.opts.now?.() ?? performance.now();
  }
}

const byScope = (rows: readonly Pause[]): PausesInForce => Object.fromEntries(rows.map((p) => [p.scope, p]));
