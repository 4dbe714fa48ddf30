/** Where a NotifiedState reads its value and learns that it changed. */
export interface NotifiedSource<T> {
  /** Reads the whole value (one query). */
  load(): Promise<T>;
  /** Calls `onChange` on every change notification and after a reconnect (notifications may have been lost). */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}

export interface NotifiedStateOptions<T> {
  /** The advertised delay: a change is in force here within this long even if its notification is lost. */
  maxAgeMs: number;
  /** The value before the first read (never visible through `current`: it answers null until watching). */
  initial: T;
  /** Whether two reads hold the same value (listeners are told only of a different one); default never. */
  same?: (a: T, b: T) => boolean;
  now?: () => number;
  /** A failed read: the last known value is kept; told once per streak of failures. */
  onError?: (err: unknown) => void;
}

/**
 * A small value every replica and role holds in memory (the pauses in force, the revoked tokens), so that the HTTP
 * hook on every request and the worker loops on every tick read it without a query. Every change sends a NOTIFY in
 * its own transaction, delivered at commit to every process watching (a reconnect, after which notifications may have
 * been lost, counts as one); the value is also read again every `maxAgeMs / 2`, and on any read of a value older than
 * `maxAgeMs`, so a change holds everywhere within `maxAgeMs` even if its notification is lost. A read that fails (the
 * database is down) keeps the last known value. Reads are applied in the order they started: a read that started
 * before a change never undoes it. Until `watch()` runs (CLI commands, an engine not started) nothing is held:
 * `current()` is null and `value()` asks the source.
 */
export class NotifiedState<T> {
  private state: T;
  private loadedAt = Number.NEGATIVE_INFINITY;
  private watching = false;
  private started = 0;
  private applied = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(value: T) => void>();
  private failing = false;

  constructor(
    private readonly source: NotifiedSource<T>,
    private readonly opts: NotifiedStateOptions<T>,
  ) {
    this.state = opts.initial;
  }

  /** Starts keeping the value (its first read included; a failed first read throws); the returned function stops. */
  async watch(): Promise<() => Promise<void>> {
    const unwatch = await this.source.watch(() => void this.refresh());
    try {
      await this.refresh({ rethrow: true });
    } catch (err) {
      await unwatch();
      throw err;
    }
    this.watching = true;
    this.timer = setInterval(() => this.inFlight === 0 && void this.refresh(), this.opts.maxAgeMs / 2);
    this.timer.unref();
    return async () => {
      this.watching = false;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      await unwatch();
    };
  }

  /** The value in memory, or null until watching: synchronous, no query (a stale value is read again behind). */
  current(): T | null {
    if (!this.watching) return null;
    if (this.now() - this.loadedAt >= this.opts.maxAgeMs && this.inFlight === 0) void this.refresh();
    return this.state;
  }

  /** Whether the value is held (watching); if not, `current` knows nothing and `value` asks the source. */
  get held(): boolean {
    return this.watching;
  }

  /** The value: from memory once watching, else read from the source. */
  value(): Promise<T> {
    return this.watching ? Promise.resolve(this.state) : this.source.load();
  }

  /** A change committed in this process: read again now (resolves once applied here); nothing until watching. */
  changed(): Promise<void> {
    return this.watching ? this.refresh() : Promise.resolve();
  }

  /** Called with the new value whenever it changes (here or anywhere); returns the unsubscribe. */
  onChange(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async refresh(o: { rethrow?: boolean } = {}): Promise<void> {
    const seq = ++this.started;
    const at = this.now();
    this.inFlight++;
    try {
      const next = await this.source.load();
      this.failing = false;
      if (seq > this.applied) this.apply(seq, at, next);
    } catch (err) {
      if (o.rethrow) throw err;
      // once per streak: a database outage is told by the database adapter
      if (!this.failing) this.opts.onError?.(err);
      this.failing = true;
    } finally {
      this.inFlight--;
    }
  }

  private apply(seq: number, at: number, next: T): void {
    this.applied = seq;
    this.loadedAt = at;
    const before = this.state;
    this.state = next;
    if (this.opts.same?.(before, next)) return;
    for (const l of this.listeners) {
      try {
        l(next);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  private now(): number {
    return this.opts.now?.() ?? performance.now();
  }
}
