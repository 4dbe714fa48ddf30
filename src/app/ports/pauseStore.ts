/** What a pause stops: `intake` (new escrows and user changes), `payouts` (settlements, money-moving timeouts). */
export type PauseScope = 'payouts' | 'intake';

export const PAUSE_SCOPES: readonly PauseScope[] = ['payouts', 'intake'];

/** One pause, in force (`liftedAt` null) or lifted (kept, with who lifted it and why). */
export interface Pause {
  id: string;
  scope: PauseScope;
  reason: string;
  setBy: string;
  setRole: string;
  setAt: string;
  liftedAt: string | null;
  liftedBy: string | null;
  liftReason: string | null;
}

export interface PauseActor {
  id: string;
  role: string;
}

export interface NewPauses {
  /** One id per scope, in the same order. */
  ids: readonly string[];
  scopes: readonly PauseScope[];
  reason: string;
  actor: PauseActor;
  at: string;
}

export interface PauseLift {
  scopes: readonly PauseScope[];
  reason: string;
  actor: PauseActor;
  at: string;
}

export interface PauseStore {
  /**
   * Puts a pause in force for each scope that has none, with one `pause.set` audit row and a NOTIFY, in one
   * transaction; a scope already paused keeps its pause. Returns the pauses it added (none: nothing was written).
   */
  pause(p: NewPauses): Promise<Pause[]>;
  /** Lifts the pauses in force of these scopes, with one `pause.lift` audit row and a NOTIFY; returns those lifted. */
  lift(l: PauseLift): Promise<Pause[]>;
  /** The pauses in force (at most one per scope): one indexed query. */
  inForce(): Promise<Pause[]>;
  /** Every pause, newest first, at most `limit`. */
  history(limit: number): Promise<Pause[]>;
  /**
   * Calls `onChange` after any pause or lift commits, in any process, and whenever notifications may have been lost
   * (a reconnect). Returns the unsubscribe.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}
