import type { NewPauses, Pause, PauseLift, PauseStore } from './ports/pauseStore.js';

/**
 * The pause store in memory, for unit tests: the SQL store's rules (one pause in force per scope, the first kept;
 * rows lifted, never deleted), its reads and writes counted, its notifications sent by hand (`notify`) or dropped
 * (`silent`), and an `inForce` that can be held back (`hold`) to order concurrent reads.
 */
export class MemoryPauseStore implements PauseStore {
  readonly rows: Pause[] = [];
  readonly audit: { action: string; actorId: string; reason: string }[] = [];
  reads = 0;
  writes = 0;
  /** Changes do not notify (a lost notification). */
  silent = false;
  /** Reads fail with this (the database is down). */
  failWith: Error | null = null;
  private listeners: (() => void)[] = [];
  private held: (() => void)[] | null = null;

  pause(p: NewPauses): Promise<Pause[]> {
    this.writes++;
    const added: Pause[] = [];
    p.scopes.forEach((scope, i) => {
      if (this.rows.some((r) => r.scope === scope && r.liftedAt === null)) return;
      const row: Pause = {
        ...{ id: p.ids[i]!, scope, reason: p.reason, setBy: p.actor.id, setRole: p.actor.role, setAt: p.at },
        ...{ liftedAt: null, liftedBy: null, liftReason: null },
      };
      this.rows.push(row);
      added.push({ ...row });
    });
    if (added.length > 0) this.changed('pause.set', p.actor.id, p.reason);
    return Promise.resolve(added);
  }

  lift(l: PauseLift): Promise<Pause[]> {
    this.writes++;
    const lifted: Pause[] = [];
    for (const r of this.rows) {
      if (r.liftedAt !== null || !l.scopes.includes(r.scope)) continue;
      Object.assign(r, { liftedAt: l.at, liftedBy: l.actor.id, liftReason: l.reason });
      lifted.push({ ...r });
    }
    if (lifted.length > 0) this.changed('pause.lift', l.actor.id, l.reason);
    return Promise.resolve(lifted);
  }

  async inForce(): Promise<Pause[]> {
    this.reads++;
    // what is in force when the read starts (a held read answers it later)
    const now = this.rows.filter((r) => r.liftedAt === null).map((r) => ({ ...r }));
    const fail = this.failWith;
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (fail) throw fail;
    return now;
  }

  history(limit: number): Promise<Pause[]> {
    this.reads++;
    return Promise.resolve([...this.rows].reverse().slice(0, limit));
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    this.listeners.push(onChange);
    return Promise.resolve(() => {
      this.listeners = this.listeners.filter((l) => l !== onChange);
      return Promise.resolve();
    });
  }

  /** Sends the change notification every watcher gets. */
  notify(): void {
    for (const l of this.listeners) l();
  }

  /** From now on reads wait until `release()` lets them answer, in the order given. */
  hold(): void {
    this.held = [];
  }

  /** Lets the held reads answer: `order` gives which (by start order, 0-based) answer first. */
  async release(order?: number[]): Promise<void> {
    const held = this.held ?? [];
    this.held = null;
    for (const i of order ?? held.map((_, j) => j)) {
      held[i]?.();
      // let that read's continuation run before the next one answers
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  get watchers(): number {
    return this.listeners.length;
  }

  private changed(action: string, actorId: string, reason: string): void {
    this.audit.push({ action, actorId, reason });
    if (!this.silent) this.notify();
  }
}
