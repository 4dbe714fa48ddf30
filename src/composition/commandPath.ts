import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { CommandHandler, type CommandObserver } from '../app/commandHandler.js';
import type { OutcomeWaiter } from '../app/remoteCommands.js';
import type { CommandEnvelope } from '../app/envelope.js';
import type { AuditStore, Clock, EscrowStore, PaymentRail } from '../app/ports/index.js';
import type { Rail } from '../domain/index.js';
import type { Config } from '../config/index.js';
import type { Metrics } from '../observability/metrics.js';

export const OUTBOX_CHANNEL = 'escrow_outbox';
/** Workers tell API replicas which commands have an outcome (payload: comma-separated ids). */
export const OUTCOMES_CHANNEL = 'escrow_command_outcomes';

/** The one command path, observed by the log, the metrics and (PostgreSQL) the outbox wake-up. */
export function createCommandHandler(deps: {
  config: Config;
  store: EscrowStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  rails: ReadonlyMap<Rail, PaymentRail>;
  /** Where refusals are audited. */
  audit?: AuditStore;
}): CommandHandler {
  const { logger, metrics } = deps;
  const handler = new CommandHandler({
    store: deps.store,
    clock: deps.clock,
    policy: deps.config.policy,
    rails: deps.rails,
    ...(deps.audit ? { audit: deps.audit } : {}),
  });
  handler.observe(commandLog(logger));
  handler.observe({
    committed: (h, ms) => {
      metrics.commands.inc({ command: h.result.type, outcome: 'applied' });
      metrics.commandDuration.observe({ command: h.result.type }, ms / 1000);
      if (h.result.fromStatus !== h.result.toStatus) {
        metrics.transitions.inc({ from: h.result.fromStatus ?? 'NONE', to: h.result.toStatus });
      }
      metrics.business.count(h);
    },
    rejected: (env, err) => metrics.commands.inc({ command: env.type, outcome: err.code }),
    duplicate: (h) => metrics.commands.inc({ command: h.result.type, outcome: 'duplicate' }),
  });
  return handler;
}

const actorOf = (env: CommandEnvelope) => ({ id: env.actor.id, role: env.actor.role });

/**
 * The command path's log, in the words the runbooks grep for: `State transition` for every accepted command,
 * `InvalidStateTransitionError`, `EscrowNotFoundError` and `OptimisticLockError` (a version conflict, retried or
 * given up) by name; any other refusal as `command rejected` with its code.
 */
export function commandLog(logger: Logger): CommandObserver {
  return {
    committed: (h, ms, env) => {
      const { escrowId, type, fromStatus, toStatus, commandId, version } = h.result;
      const from = fromStatus ?? 'NONE';
      logger.info(
        {
          escrow_id: escrowId,
          command: type,
          command_id: commandId,
          actor: actorOf(env),
          from_status: from,
          to_status: toStatus,
          version,
          duration_ms: Math.round(ms * 10) / 10,
        },
        `State transition ${from} -> ${toStatus} (${type})`,
      );
    },
    rejected: (env, err) => {
      const fields = {
        escrow_id: env.escrowId,
        command: env.type,
        command_id: env.commandId,
        actor: actorOf(env),
        code: err.code,
        reason: err.message,
      };
      if (err.code === 'INVALID_STATE_TRANSITION') {
        const status = err.details.currentStatus ?? 'unknown';
        logger.info({ ...fields, current_status: status }, `InvalidStateTransitionError: ${env.type} in ${status}`);
      } else if (err.code === 'ESCROW_NOT_FOUND') {
        logger.info(fields, `EscrowNotFoundError: ${env.type} on escrow ${env.escrowId}`);
      } else if (err.code === 'VERSION_CONFLICT') {
        logger.warn(fields, `OptimisticLockError: ${env.type} on escrow ${env.escrowId} gave up, still conflicting`);
      } else logger.info(fields, 'command rejected');
    },
    // Each conflict at info (contention is normal); giving up is the refusal's own warn line above.
    conflict: (env, attempt, retrying) =>
      logger.info(
        { escrow_id: env.escrowId, command: env.type, command_id: env.commandId, attempt, retrying },
        `OptimisticLockError: escrow ${env.escrowId} changed under ${env.type} (attempt ${attempt})` +
          (retrying ? ', retrying' : ', giving up'),
      ),
    auditFailed: (env, err) =>
      logger.error(
        { err, escrow_id: env.escrowId, command: env.type, command_id: env.commandId },
        'refused command not audited: its audit row could not be written',
      ),
  };
}

/**
 * Publishers in other processes learn of commits through NOTIFY, sent after commit (a NOTIFY inside the command's
 * transaction would serialise every commit on its lock): at once after a quiet spell, then at most one per 10 ms per
 * process, the last one covering every commit before it. Returns the cleanup.
 */
export function notifyCommits(handler: CommandHandler, db: Database): () => Promise<void> {
  let pending: NodeJS.Timeout | null = null;
  let last = 0;
  const notify = () => {
    last = Date.now();
    db.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`).catch(() => undefined);
  };
  handler.observe({
    committed: () => {
      if (pending) return;
      const wait = last + 10 - Date.now();
      if (wait <= 0) notify();
      else
        pending = setTimeout(() => {
          pending = null;
          notify();
        }, wait);
    },
  });
  return () => {
    if (pending) clearTimeout(pending);
    return Promise.resolve();
  };
}

/**
 * Kafka mode: outcomes of client commands reach this process's waiters at once, and other API replicas through
 * NOTIFY (batched every 5 ms, 200 ids per notification under the 8000-byte payload limit). Returns the cleanup.
 */
export function announceOutcomes(handler: CommandHandler, waiter: OutcomeWaiter, db: Database): () => Promise<void> {
  let ids: string[] = [];
  let pendingNotify: NodeJS.Timeout | null = null;
  const announce = (id: string) => {
    waiter.ready([id]);
    if (db.kind !== 'postgres') return;
    ids.push(id);
    pendingNotify ??= setTimeout(() => {
      pendingNotify = null;
      const batch = ids;
      ids = [];
      for (let i = 0; i < batch.length; i += 200) {
        db.query('SELECT pg_notify($1, $2)', [OUTCOMES_CHANNEL, batch.slice(i, i + 200).join(',')]).catch(
          () => undefined,
        );
      }
    }, 5);
  };
  handler.observe({
    committed: (h) => announce(h.result.commandId),
    rejected: (env, err) =>
      env.recordRejection && err.code !== 'VERSION_CONFLICT' ? announce(env.commandId) : undefined,
  });
  return () => {
    if (pendingNotify) clearTimeout(pendingNotify);
    waiter.close();
    return Promise.resolve();
  };
}
