import { NotifiedState } from './notifiedState.js';
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
 * The pauses in force held in memory (a NotifiedState: kept by NOTIFY and read again every PAUSE_MAX_AGE_MS / 2), so
 * that the HTTP hook (every request) and the worker loops (every tick) check them without a query. Until `watch()`
 * runs (CLI commands, an engine not started) nothing is held: `inForce` asks the store.
 */
export class PauseState {
  private readonly state: NotifiedState<PausesInForce>;

  constructor(
    private readonly store: Lookup,
    opts: { maxAgeMs?: number; now?: () => number; onError?: (err: unknown) => void } = {},
  ) {
    this.state = new NotifiedState(
      { load: async () => byScope(await store.inForce()), watch: (onChange) => store.watch(onChange) },
      {
        ...opts,
        maxAgeMs: opts.maxAgeMs ?? PAUSE_MAX_AGE_MS,
        initial: {},
        same: (a, b) => (['payouts', 'intake'] as const).every((s) => a[s]?.id === b[s]?.id),
      },
    );
  }

  /** Starts keeping the state (its first read included); the returned function stops. */
  watch(): Promise<() => Promise<void>> {
    return this.state.watch();
  }

  /** The pause in force for `scope` in memory, or null: synchronous, no query (a stale state is read again behind). */
  current(scope: PauseScope): Pause | null {
    return this.state.current()?.[scope] ?? null;
  }

  /** Whether the state is held (watching); if not, `current` knows nothing and `inForce` asks the store. */
  get held(): boolean {
    return this.state.held;
  }

  /** The pauses in force: from memory once watching, else from the store. */
  inForce(): Promise<PausesInForce> {
    return this.state.value();
  }

  /** A change committed in this process: read again now (resolves once applied here); nothing until watching. */
  changed(): Promise<void> {
    return this.state.changed();
  }

  /** Called with the new state whenever a pause is set or lifted (here or anywhere); returns the unsubscribe. */
  onChange(listener: (pauses: PausesInForce) => void): () => void {
    return this.state.onChange(listener);
  }
}

const byScope = (rows: readonly Pause[]): PausesInForce => Object.fromEntries(rows.map((p) => [p.scope, p]));
