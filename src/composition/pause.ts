import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { SqlPauseStore } from '../adapters/db/pauseStore.js';
import { MAINTENANCE_MODE_ACTOR, PauseService, describePause, type PauseStatus } from '../app/pause.js';
import { PauseState } from '../app/pauseState.js';
import type { ProcessInstance } from '../app/ports/heartbeatStore.js';
import type { Clock, SettlementStore, TimeoutStore } from '../app/ports/index.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * The emergency pause as the engine wires it: one service per engine over the pauses table, its state kept in memory
 * by NOTIFY on `escrow_pause` (its LISTEN is one more PostgreSQL connection per process, as the blacklist's), the
 * `escrow_paused{scope}` gauge and a log line in every process when a pause is set or lifted there.
 */
export function createPause(db: Database, clock: Clock, logger: Logger, metrics: Metrics): PauseService {
  const store = new SqlPauseStore(db);
  const state = new PauseState(store, { onError: (err) => logger.warn({ err }, 'pause state not read (kept as is)') });
  const pause = new PauseService({ store, clock, state });
  let last: PauseStatus = { paused: false, payouts: null, intake: null };
  for (const scope of ['payouts', 'intake'] as const) metrics.paused.set({ scope }, 0);
  pause.onChange((now) => {
    for (const scope of ['payouts', 'intake'] as const) {
      metrics.paused.set({ scope }, now[scope] ? 1 : 0);
      const [was, is] = [last[scope], now[scope]];
      if (is && is.id !== was?.id) logger.warn({ scope, pause_id: is.id }, `pause in force: ${describePause(is)}`);
      if (was && !is) logger.info({ scope, pause_id: was.id }, `pause lifted: ${scope} goes on`);
    }
    last = now;
  });
  return pause;
}

/**
 * The settlements role's view of its store: while payouts are paused it claims nothing (no provider is called); a
 * batch already claimed when the pause lands finishes. Resuming wakes the loop (Roles), so held payouts go out at once.
 */
export function heldWhilePaused(store: SettlementStore, pause: PauseService): SettlementStore {
  return {
    claimDue: async (limit, leaseMs, owner) =>
      (await pause.paused('payouts')) ? [] : store.claimDue(limit, leaseMs, owner),
    scheduleRetry: (id, error, baseDelayMs, holder) => store.scheduleRetry(id, error, baseDelayMs, holder),
    wait: (...args) => store.wait(...args),
    wakeWaitingFor: (sellerId, rail) => store.wakeWaitingFor(sellerId, rail),
    release: (id, holder) => store.release(id, holder),
    findEscrowOf: (settlementId) => store.findEscrowOf(settlementId),
    roundOf: (settlementId) => store.roundOf(settlementId),
  };
}

/**
 * The timeout processor's view of its store: while payouts are paused the confirmation deadlines (auto-release or
 * auto-refund of delivered escrows and delivered milestones: money out) are not due, nor waited for; payment
 * deadlines still expire unpaid escrows (no money moves). A manual run (`escrow timeouts run`) holds the same ones.
 */
export function confirmationsHeldWhilePaused(store: TimeoutStore, pause: PauseService): TimeoutStore {
  return {
    duePaymentDeadlines: (now, limit) => store.duePaymentDeadlines(now, limit),
    dueConfirmationDeadlines: async (now, limit) =>
      (await pause.paused('payouts')) ? [] : store.dueConfirmationDeadlines(now, limit),
    nextDeadline: async (includeConfirmation) =>
      store.nextDeadline(includeConfirmation && !(await pause.paused('payouts'))),
  };
}

/**
 * MAINTENANCE_MODE=true at start: every scope not already paused is paused as `system:MAINTENANCE_MODE` (audited),
 * before any role runs. A pause already in force keeps its own who and why. `escrow resume` lifts it; a restart with
 * the variable still true pauses again.
 */
export async function applyMaintenanceMode(
  enabled: boolean,
  pause: PauseService,
  instance: ProcessInstance,
  logger: Logger,
): Promise<void> {
  if (!enabled) return;
  const change = await pause.pause(MAINTENANCE_MODE_ACTOR, {
    scope: 'all',
    reason: `MAINTENANCE_MODE=true at the start of ${instance.host} pid ${instance.pid} (instance ${instance.instanceId})`,
  });
  const held = [change.status.payouts, change.status.intake].filter((p) => p !== null).map(describePause);
  logger.warn({ paused: change.changed.map((p) => p.scope) }, `MAINTENANCE_MODE: ${held.join('; ')}`);
}
