import { userInfo } from 'node:os';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataDirLockedError, liveDataDirHolder, type DataDirHolder } from '../adapters/db/dataDirLock.js';
import type { Config } from '../config/index.js';
import { createEngine, type Engine } from '../main.js';
import type { SuspenseCommand } from '../app/suspenseDryRun.js';
import { dryRunSuspense } from '../app/suspenseDryRun.js';
import { disputeQueue } from '../http/routes/disputeAdmin.js';
import { failedWebhooks, reconcileNow, reprocessWebhooks } from '../http/routes/webhookAdmin.js';
import type { Backend, Json } from './backend.js';
import { localBlacklistBackend } from './commands/blacklist.js';
import { localHealthBackend } from './commands/health.js';
import { localPauseBackend } from './commands/pause.js';
import { localOperatorBackend } from './commands/operatorBackend.js';
import { operatorOf } from '../composition/operator.js';
import { localApprovalsBackend } from './commands/approvals.js';
import { localReportBackend } from './commands/report.js';
import { localTokenBackend } from './commands/tokens.js';
import { localWebhookEndpointBackend } from './commands/webhookEndpoints.js';
import { CliFailure } from './exitCodes.js';
import { toJson } from './output.js';
import { serverBackend } from './server.js';

/** How long a command waits for a directory being opened by another process (another command, a server starting). */
const OPENING_WAIT_MS = 15_000;

/**
 * The one seam: the server holding the embedded data directory if one runs, else this process's own engine. A
 * directory another process is still opening (it has not said its roles yet: another CLI command, or a server
 * starting) is waited for, briefly: then the command opens it itself, or goes through the server once it listens.
 */
export async function withBackend<T>(config: Config, run: (backend: Backend) => Promise<T>): Promise<T> {
  const until = Date.now() + OPENING_WAIT_MS;
  for (;;) {
    const holder = embeddedHolder(config);
    const opening = holder !== null && holder.roles === undefined && Date.now() < until;
    if (holder && !opening) return run(await serverBackend(config, holder, cliActor().id));
    if (!holder) {
      try {
        return await run(localBackend(config));
      } catch (err) {
        // taken between the look and the open: look again (within the wait)
        if (!(err instanceof DataDirLockedError) || Date.now() >= until) throw err;
      }
    }
    await sleep(200);
  }
}

function embeddedHolder(config: Config): DataDirHolder | null {
  const { database } = config;
  if (database.mode !== 'pglite' || database.dataDir.startsWith('memory://')) return null;
  return liveDataDirHolder(database.dataDir);
}

/** Who the audit rows name: the operating-system user running the CLI. */
export function cliActor(): { id: string; role: 'admin' } {
  let name = 'unknown';
  try {
    name = userInfo().username.replace(/[^A-Za-z0-9._@-]/g, '_') || name;
  } catch {
    // no user database entry (some containers)
  }
  return { id: `cli:${name}`.slice(0, 128), role: 'admin' };
}

function localBackend(config: Config): Backend {
  const by = (reason: string) => ({ actor: cliActor(), reason });
  return {
    via: 'local',
    // without migrating on open: this command is the one that migrates (and says what it applied)
    migrate: () => withEngine(config, (e) => e.operations.migrations(true, by('escrow migrate')), false),
    migrationStatus: () => withEngine(config, (e) => e.operations.migrations(false, by('escrow migrate')), false),
    sandboxPay: (target, opts) =>
      withEngine(config, async (e) => {
        const action = {
          ...by('escrow sandbox pay'),
          action: 'sandbox.pay',
          details: { target, outcome: opts.outcome },
        };
        return (await e.operations.audited(action, () => e.simulator.pay(target, opts))).outcome;
      }),
    timeouts: (dryRun) =>
      withEngine(config, (e) => {
        const run = () => e.timeouts.runOnce({ dryRun });
        return dryRun ? run() : e.operations.audited({ ...by('escrow timeouts run'), action: 'timeouts.run' }, run);
      }),
    verify: (onProgress) => withEngine(config, (e) => e.operations.verify(onProgress)),
    outboxStatus: () => withEngine(config, (e) => e.operations.outboxStatus()),
    deadLetters: (limit) => withEngine(config, (e) => e.operations.deadLetters(limit)),
    replay: (what, reason, dryRun) =>
      withEngine(config, (e) =>
        e.operations.replayOutbox(
          what,
          { ...by(reason), ...('escrowId' in what ? { escrowId: what.escrowId } : {}) },
          dryRun,
        ),
      ),
    outboxSkip: (id, reason, dryRun) => withEngine(config, (e) => e.operations.skipOutbox(id, by(reason), dryRun)),
    suspenseList: ({ filter, limit, cursor }) =>
      withEngine(config, async (e) => asJson(await e.queries.suspense(cliActor(), filter, limit, cursor))),
    suspenseRefund: (suspenseId, reason, dryRun) =>
      withEngine(config, (e) => resolveSuspense(e, { type: 'RefundSuspense', suspenseId, reason }, dryRun)),
    suspenseApply: (suspenseIds, reason, dryRun) =>
      withEngine(config, (e) =>
        resolveSuspense(e, { type: 'ApplySuspense', suspenseIds: [...suspenseIds], reason }, dryRun),
      ),
    webhooksFailed: (selection) =>
      withEngine(config, async (e) =>
        failedWebhooks(
          await e.stores.webhooks.unprocessed(selection),
          [...e.rails.values()].map((r) => r.provider),
        ),
      ),
    webhooksReprocess: (selection, reason, dryRun) =>
      withEngine(config, (e) => reprocessWebhooks(e, selection, by(reason), dryRun)),
    reconcile: ({ dryRun, windowHours, reason }) =>
      withEngine(config, (e) =>
        reconcileNow(e, { dryRun, windowHours: windowHours ?? config.reconciler.windowMs / 3_600_000 }, by(reason)),
      ),
    disputes: ({ overdue, limit }) =>
      withEngine(config, (e) => disputeQueue(e.stores.disputes, { overdue, limit, now: e.clock.now() })),
    vaultRotate: ({ reason, dryRun }) => withEngine(config, (e) => e.vault.rotate(cliActor(), { reason, dryRun })),
    ...localBlacklistBackend((run) => withEngine(config, (e) => run(e.blacklist)), cliActor()),
    ...localPauseBackend((run) => withEngine(config, (e) => run(pauseOf(e))), cliActor()),
    ...localApprovalsBackend((run) => withEngine(config, (e) => run(e)), cliActor()),
    ...localReportBackend((run) => withEngine(config, run)),
    ...localTokenBackend((run) => withEngine(config, (e) => run(e.tokens)), cliActor()),
    ...localWebhookEndpointBackend((run) => withEngine(config, (e) => run(e.webhookEndpoints)), cliActor()),
    ...localHealthBackend((run) => withEngine(config, run)),
    ...localOperatorBackend((run) => withEngine(config, (e) => run(operatorOf(e))), cliActor()),
  };
}

/** The engine's emergency pause (every engine the composition root builds has one). */
function pauseOf(e: Engine) {
  if (!e.operations.pause) throw new CliFailure('this engine has no emergency pause');
  return e.operations.pause;
}

/** What the server would answer: JSON, bigints as digit strings. */
const asJson = (value: unknown): Json => JSON.parse(toJson(value)) as Json;

/**
 * A suspense refund or apply on this process's engine, as the admin route runs it: the item's escrow (null when
 * there is no such item), then the command through the command path, or its dry run.
 */
async function resolveSuspense(e: Engine, command: SuspenseCommand, dryRun: boolean): Promise<Json | null> {
  const actor = cliActor();
  const item = command.type === 'RefundSuspense' ? command.suspenseId : command.suspenseIds[0];
  const escrowId = item === undefined ? null : await e.queries.escrowOfSuspense(actor, item);
  if (!escrowId) return null;
  if (dryRun) return asJson(await dryRunSuspense(e, actor, escrowId, command));
  const { type, ...payload } = command;
  return asJson((await e.service.execute(type, escrowId, actor, payload)).escrow);
}

/**
 * Opens an engine for one command, runs it and stops the engine. Its log lines go to stderr, `info` becoming `warn`:
 * stdout holds only the command's JSON (a slow query's warning must not break `escrow verify | jq`).
 */
export async function withEngine<T>(
  config: Config,
  run: (engine: Engine) => Promise<T>,
  migrate?: boolean,
): Promise<T> {
  const level = config.logLevel === 'info' ? 'warn' : config.logLevel;
  const logger = pino(
    {
      level,
      base: { service: 'escrow-services' },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  const engine = await createEngine(config, { logger, ...(migrate === undefined ? {} : { migrate }) });
  try {
    return await run(engine);
  } finally {
    await engine.stop();
  }
}
