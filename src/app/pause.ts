import { DomainError, invalid, isStorableText, type Actor } from '../domain/index.js';
import { TEXT_MAX_LENGTH, UNSTORABLE_TEXT_RULE } from '../domain/limits.js';
import { newId } from './ids.js';
import type { PauseState, PausesInForce } from './pauseState.js';
import type { Clock } from './ports/clock.js';
import { PAUSE_SCOPES, type Pause, type PauseScope, type PauseStore } from './ports/pauseStore.js';

/** What `--scope` / `scope` names: one scope, or `all` (both). */
export type PauseTarget = PauseScope | 'all';
export const PAUSE_TARGETS: readonly PauseTarget[] = [...PAUSE_SCOPES, 'all'];

/** Pauses per page of the history: the default and the most a caller may ask for. */
export const PAUSE_HISTORY = { default: 20, max: 100 } as const;

/** Who the start-up default (MAINTENANCE_MODE=true) pauses as, in the pause and its audit row. */
export const MAINTENANCE_MODE_ACTOR: Actor = { id: 'system:MAINTENANCE_MODE', role: 'system' };

/** What is in force: the pause of each scope, or null. */
export interface PauseStatus {
  /** Some scope is paused. */
  paused: boolean;
  payouts: Pause | null;
  intake: Pause | null;
}

/** What a pause or resume did; with `dryRun` what it would do (stored nowhere, not audited). */
export interface PauseChange {
  dryRun: boolean;
  /** The pauses set (pause) or lifted (resume); empty: every scope named already was (or was not) paused. */
  changed: Pause[];
  /** What is in force after it (a dry run: would be). */
  status: PauseStatus;
}

/** The status and the latest pauses, newest first (lifted ones included). */
export interface PauseReport extends PauseStatus {
  history: Pause[];
}

export interface PauseInput {
  scope: string;
  reason: string;
  dryRun?: boolean;
}

export interface ResumeInput {
  /** Default `all`. */
  scope?: string;
  reason: string;
  dryRun?: boolean;
}

/**
 * The emergency pause (SPEC §8, seed 003 RB-05), in the database so that it holds on every replica and role without
 * a restart: `intake` refuses new escrows and user changes (the HTTP layer, 503), `payouts` holds settlements and the
 * timeouts that move money (the workers). Admins keep working and provider webhooks are still recorded. Pausing a
 * scope already paused keeps its pause (who, when, why); a pause is lifted by `resume`, never deleted. Every change is
 * audited with who and why; a dry run validates and says what would change, writing nothing.
 */
export class PauseService {
  constructor(
    private readonly deps: {
      store: PauseStore;
      clock: Clock;
      /** The pauses in force in memory (kept by NOTIFY once watching); without it every check is a query. */
      state?: PauseState;
      newId?: () => string;
    },
  ) {}

  /** Keeps the pauses in force in memory from now on (a started engine); the returned function stops. */
  watch(): Promise<() => Promise<void>> {
    return this.deps.state ? this.deps.state.watch() : Promise.resolve(() => Promise.resolve());
  }

  /** Called with the new status whenever a pause is set or lifted, in any process (once watching). */
  onChange(listener: (status: PauseStatus) => void): () => void {
    return this.deps.state?.onChange((p) => listener(statusOf(p))) ?? (() => undefined);
  }

  /** The pause in force for `scope` as this process holds it: synchronous, no query (the HTTP hook's check). */
  current(scope: PauseScope): Pause | null {
    return this.deps.state?.current(scope) ?? null;
  }

  /** Whether `scope` is paused: from memory once watching (within PAUSE_MAX_AGE_MS), else from the database. */
  async paused(scope: PauseScope): Promise<boolean> {
    const state = this.deps.state;
    if (state?.held) return state.current(scope) !== null;
    return (await this.inForce())[scope] !== undefined;
  }

  /** What is in force (this process's view once watching; /health and /metrics). */
  async status(): Promise<PauseStatus> {
    return statusOf(await this.inForce());
  }

  /** What is in force in the database, and the latest pauses (GET /api/admin/pause, `escrow pause status`). */
  async report(limit: number = PAUSE_HISTORY.default): Promise<PauseReport> {
    if (!Number.isInteger(limit) || limit < 1 || limit > PAUSE_HISTORY.max) {
      throw invalid('limit', `must be 1-${PAUSE_HISTORY.max}`);
    }
    const [inForce, history] = await Promise.all([this.deps.store.inForce(), this.deps.store.history(limit)]);
    return { ...statusOf(byScope(inForce)), history };
  }

  /** Pauses `scope` (`all`: both) for the reason given; a scope already paused keeps its pause. */
  async pause(actor: Actor, input: PauseInput): Promise<PauseChange> {
    allowed(actor);
    const scopes = scopesOf(input.scope, 'scope');
    const reason = reasonOf(input.reason);
    const at = this.deps.clock.now().toISOString();
    const id = this.deps.newId ?? newId;
    if (input.dryRun) {
      const current = byScope(await this.deps.store.inForce());
      const changed = scopes
        .filter((s) => !current[s])
        .map((scope): Pause => ({ id: id(), scope, reason, ...set(actor, at), ...NOT_LIFTED }));
      return { dryRun: true, changed, status: statusOf({ ...current, ...byScope(changed) }) };
    }
    const changed = await this.deps.store
      .pause({ ids: scopes.map(() => id()), scopes, reason, actor: { id: actor.id, role: actor.role }, at })
      .finally(() => this.deps.state?.changed());
    return { dryRun: false, changed, status: await this.status() };
  }

  /** Lifts the pauses of `scope` (default `all`): what they held goes on at once on every replica. */
  async resume(actor: Actor, input: ResumeInput): Promise<PauseChange> {
    allowed(actor);
    const scopes = scopesOf(input.scope ?? 'all', 'scope');
    const reason = reasonOf(input.reason);
    const at = this.deps.clock.now().toISOString();
    if (input.dryRun) {
      const current = byScope(await this.deps.store.inForce());
      const changed = scopes
        .flatMap((s) => (current[s] ? [current[s]] : []))
        .map((p): Pause => ({ ...p, liftedAt: at, liftedBy: actor.id, liftReason: reason }));
      const after = Object.fromEntries(Object.entries(current).filter(([s]) => !scopes.includes(s as PauseScope)));
      return { dryRun: true, changed, status: statusOf(after) };
    }
    const changed = await this.deps.store
      .lift({ scopes, reason, actor: { id: actor.id, role: actor.role }, at })
      .finally(() => this.deps.state?.changed());
    return { dryRun: false, changed, status: await this.status() };
  }

  private async inForce(): Promise<PausesInForce> {
    return this.deps.state ? this.deps.state.inForce() : byScope(await this.deps.store.inForce());
  }
}

/** One line for a person: `payouts paused since T by ops-alice (admin): why`. */
export function describePause(p: Pause): string {
  const lifted = p.liftedAt ? `; lifted ${p.liftedAt} by ${p.liftedBy ?? '?'}: ${p.liftReason ?? ''}` : '';
  return `${p.scope} paused since ${p.setAt} by ${p.setBy} (${p.setRole}): ${p.reason}${lifted}`;
}

export const statusOf = (p: PausesInForce): PauseStatus => ({
  paused: p.payouts !== undefined || p.intake !== undefined,
  payouts: p.payouts ?? null,
  intake: p.intake ?? null,
});

const byScope = (rows: readonly Pause[]): PausesInForce => Object.fromEntries(rows.map((p) => [p.scope, p]));

const NOT_LIFTED = { liftedAt: null, liftedBy: null, liftReason: null } as const;

const set = (actor: Actor, at: string) => ({ setBy: actor.id, setRole: actor.role, setAt: at });

/** The HTTP routes and the CLI let only admins in; the start-up default pauses as the system. */
function allowed(actor: Actor): void {
  if (actor.role !== 'admin' && actor.role !== 'system') {
    throw new DomainError('FORBIDDEN', 'only an admin may pause or resume');
  }
}

function scopesOf(scope: unknown, field: string): PauseScope[] {
  if (typeof scope !== 'string' || !(PAUSE_TARGETS as readonly string[]).includes(scope)) {
    throw invalid(field, `must be one of ${PAUSE_TARGETS.join(', ')}`);
  }
  return scope === 'all' ? [...PAUSE_SCOPES] : [scope as PauseScope];
}

function reasonOf(text: unknown): string {
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw invalid('reason', `must be 1-${max} characters saying why (kept with the pause and in the audit log)`);
  }
  if (!isStorableText(trimmed)) throw invalid('reason', UNSTORABLE_TEXT_RULE);
  return trimmed;
}
