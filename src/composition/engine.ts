import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { SqlHeartbeatStore } from '../adapters/db/heartbeatStore.js';
import { SqlMaintenanceStore } from '../adapters/db/maintenanceStore.js';
import { createRails } from '../adapters/rails/registry.js';
import { SandboxPaymentSimulator, SandboxRail } from '../adapters/rails/sandbox/index.js';
import type { CommandHandler } from '../app/commandHandler.js';
import { EscrowQueryService } from '../app/escrowQueries.js';
import { EscrowService } from '../app/escrowService.js';
import { OperationsService, type Maintenance } from '../app/operations.js';
import { voidPaymentOnCancel } from '../app/reactions/index.js';
import { OutcomeWaiter, RemoteCommandGateway } from '../app/remoteCommands.js';
import type { ProcessInstance } from '../app/ports/heartbeatStore.js';
import type { Clock, PaymentRail } from '../app/ports/index.js';
import { verifyAll } from '../app/verify.js';
import { WebhookProcessor } from '../app/webhookProcessor.js';
import { PayoutAccountService } from '../app/payoutAccounts.js';
import { Reconciler } from '../app/reconciler.js';
import { ReportService } from '../app/reports.js';
import type { Check } from '../app/operations.js';
import { createRiskScreener } from '../adapters/risk/screening.js';
import type { Config } from '../config/index.js';
import type { Rail } from '../domain/index.js';
import { Metrics } from '../observability/metrics.js';
import { SettlementWorker } from '../workers/settlementWorker.js';
import { TimeoutProcessor } from '../workers/timeoutProcessor.js';
import { announceOutcomes, createCommandHandler, notifyCommits } from './commandPath.js';
import { migrateOnStart, observedDatabase, openDatabase } from './database.js';
import { createEventDelivery } from './events.js';
import { KafkaRuntime } from './kafka.js';
import { createLogger } from './logger.js';
import { Roles, expectedRoles, processInstance } from './roles.js';
import { createOutgoingWebhooks } from './outgoingWebhooks.js';
import { jwtSecretSource } from './secrets.js';
import { createStores, type Stores } from './stores.js';
import { checkVaultKeys, createBlacklist, createMarketplaceServices, fileStoreCheck } from './marketplace.js';
import { applyMaintenanceMode, confirmationsHeldWhilePaused, createPause, heldWhilePaused } from './pause.js';
import type { PauseService } from '../app/pause.js';
import { createApprovals } from './approvals.js';
import { createTokens } from './tokens.js';
import { observedWebhooks } from './observedWebhooks.js';
import type { Engine, EngineOptions } from './types.js';
import { operatorServices } from './operator.js';

export const systemClock: Clock = { now: () => new Date() };

/** What every part of one engine is built from. */
interface Core {
  config: Config;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  stores: Stores;
  rails: Map<Rail, PaymentRail>;
  handler: CommandHandler;
  kafka: KafkaRuntime | null;
  waiter: OutcomeWaiter;
  /** This process (heartbeats, lock and lease holders) and the heartbeats of every process. */
  instance: ProcessInstance;
  heartbeats: SqlHeartbeatStore;
  /** The emergency pause: held in memory once started, checked by the HTTP hook and the money-moving workers. */
  pause: PauseService;
}

/** The composition root: the only place that picks concrete adapters and wires the services and roles. */
export async function createEngine(config: Config, opts: EngineOptions = {}): Promise<Engine> {
  const core = await createCore(config, opts);
  const { clock, logger, metrics, db, stores, rails, handler, kafka, waiter } = core;
  const jwtSecret = jwtSecretSource(config);
  const services = createServices(core, jwtSecret);
  const workers = createWorkers(core);
  const outgoing = createOutgoingWebhooks(core);
  const roles: Roles = new Roles({
    ...{ config, db, clock, logger, metrics, handler, kafka, waiter, jwtSecret, ...workers },
    ...{ reconciler: services.reconciler, webhookDispatcher: outgoing.webhookDispatcher },
    ...{ instance: core.instance, heartbeats: core.heartbeats, operations: () => operations, pause: core.pause },
    http: () => ({
      ...{ commands: services.service, queries: services.queries, webhooks: services.webhooks },
      ...{ payoutAccounts: services.payoutAccounts, webhookProcessor: services.webhookProcessor },
      ...{ blacklist: services.blacklist, files: services.files, vault: services.vault, disputes: stores.disputes },
      ...{ approvals: services.approvals, webhookEndpoints: outgoing.webhookEndpoints },
      webhookFailures: (selection) => stores.webhooks.unprocessed(selection),
      operator: operatorServices({
        ...{ db, readModel: stores.readModel, settlements: stores.settlements },
        service: services.service,
        clock,
      }),
      reports: new ReportService({ queries: stores.reports, clock }),
      reconciler: {
        run: (o) => services.reconciler.run({ windowMs: config.reconciler.windowMs, ...o }),
      },
      ...{ operations, timeouts: workers.timeouts, metrics, logger, clock, tokens: services.tokens },
      rails: [...rails.values()].map((r) => ({ rail: r.rail, provider: r.provider })),
      simulator: rails.has('SANDBOX') ? services.simulator : null,
    }),
  });
  const operations = new OperationsService({
    queries: stores.operations,
    outbox: stores.outbox,
    clock,
    lastTimeoutRun: () => roles.lastTimeoutRunAt(),
    timeoutPollIntervalMs: config.timeouts.pollIntervalMs,
    ...(kafka ? { broker: kafka.brokerStatus() } : {}),
    maintenance: maintenanceOf(core),
    extraChecks: healthChecks(config, services, logger),
    pause: core.pause,
    ...{ figures: stores.dailyFigures, webhookBacklog: outgoing.webhookBacklog },
    heartbeats: {
      ...{ store: core.heartbeats, staleMs: config.heartbeats.staleMs, instanceId: core.instance.instanceId },
      expected: expectedRoles(config),
    },
  });
  // The database is back after an outage: every loop polls now instead of at the end of its backoff.
  const unwatch = db.onAvailability?.((change) => change.available && roles.wakeLoops());
  if (unwatch) roles.onStop(() => Promise.resolve(unwatch()));
  if (db.kind === 'postgres') roles.onStop(notifyCommits(handler, db));
  if (kafka) roles.onStop(announceOutcomes(handler, waiter, db));

  return {
    ...{ config, clock, logger, metrics, db, stores, handler, rails, operations, jwtSecret },
    ...services,
    ...workers,
    ...{ webhookEndpoints: outgoing.webhookEndpoints, webhookDispatcher: outgoing.webhookDispatcher },
    readModel: stores.readModel,
    outcomes: stores.outcomes,
    lastTimeoutRun: () => roles.lastTimeoutRunAt(),
    verify: () => verifyAll(stores.readModel, stores.integrity),
    // A missing or wrong vault key stops `escrow serve` before any role runs (CLI commands open the engine without it).
    start: async (r) => {
      await checkVaultKeys(services.vault);
      // creates and payments check the blacklist in memory, kept current by NOTIFY (BlacklistSnapshot)
      roles.onStop(await services.blacklist.watch());
      // the pause (MAINTENANCE_MODE's default first) is in force here before any role runs
      await applyMaintenanceMode(config.maintenanceMode, core.pause, core.instance, logger);
      roles.onStop(await core.pause.watch());
      roles.onStop(await services.tokens.watch()); // revoked tokens: checked in memory, kept by NOTIFY
      return roles.start(r);
    },
    stop: async () => {
      await roles.stop();
      if (!opts.db) await db.close();
    },
  };
}

/** What operators run through the admin API and the CLI (escrow verify, outbox dlq/replay, migrate). */
function maintenanceOf({ db, stores }: Core): Maintenance {
  const store = new SqlMaintenanceStore(db);
  return {
    verify: (onProgress) => verifyAll(stores.readModel, stores.integrity, 200, onProgress),
    deadLetters: (limit) => stores.outbox.deadLetters(limit),
    replay: (what) => stores.outbox.replay(what),
    countReplay: (what) => store.countReplay(what),
    skipDeadLetter: (id) => stores.outbox.skip(id),
    migrations: (apply) => store.migrations(apply),
    audit: (action) => store.audit(action),
  };
}

/**
 * /health's checks of the real rails' helpers: the risk screener (an outage holds deposits: degraded, not down) and
 * the reconciler's last run in this process (mismatches found: degraded).
 */
function healthChecks(
  config: Config,
  services: ReturnType<typeof createServices>,
  logger: Logger,
): Record<string, () => Check | null | Promise<Check | null>> {
  const checks: Record<string, () => Check | null | Promise<Check | null>> = {};
  checks.files = fileStoreCheck(config.storage, services.fileStorage, {
    warn: (err) => logger.warn({ err }, 'file store check failed'),
  });
  if (config.rails.enabled.includes('USDC_BASE')) {
    checks.risk_screening = () => {
      const h = services.screener.health();
      const detail =
        h.status === 'ok' ? `${services.screener.name}: answering` : `${h.detail ?? 'failing'}; deposits are held`;
      return { status: h.status === 'ok' ? 'ok' : 'degraded', detail };
    };
  }
  checks.reconciliation = () => {
    const r = services.reconciler;
    if (r.lastFailure) return { status: 'degraded', detail: `last run failed: ${r.lastFailure}` };
    const last = r.lastReport;
    if (!last) return null; // the reconciler role does not run here
    const n = last.mismatches.length;
    return { status: n > 0 ? 'degraded' : 'ok', detail: `${n} mismatch(es) at ${last.at} (escrow reconcile --json)` };
  };
  return checks;
}

/** The database, the adapters on it, the rails and the command path. */
async function createCore(config: Config, opts: EngineOptions): Promise<Core> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config);
  const metrics = new Metrics();
  const onDbError = (kind: string) => metrics.dbErrors.inc({ kind });
  const db = observedDatabase(opts.db ?? (await openDatabase(config)), config, logger, onDbError);
  if (opts.migrate ?? config.database.mode === 'pglite') await migrateOnStart(db, logger);
  const stores = createStores(db, clock);
  const rails = createRails(config.rails);
  const handler = createCommandHandler({
    config,
    store: stores.escrows,
    audit: stores.audit,
    clock,
    logger,
    metrics,
    rails,
  });
  const kafka = config.kafka ? new KafkaRuntime(config.kafka, logger, metrics) : null;
  return {
    config,
    clock,
    logger,
    metrics,
    db,
    stores,
    rails,
    handler,
    kafka,
    waiter: new OutcomeWaiter(stores.outcomes),
    instance: processInstance(),
    heartbeats: new SqlHeartbeatStore(db),
    pause: createPause(db, clock, logger, metrics),
  };
}

/** The application services every caller uses (HTTP, CLI, console). */
function createServices(core: Core, jwtSecret: () => string) {
  const { config, clock, logger, metrics, stores, rails, handler, kafka, waiter } = core;
  const blacklist = createBlacklist(core.db, clock);
  // Kafka mode: the API hands client commands to the commands topic and waits for the workers' outcome.
  const sink = kafka
    ? new RemoteCommandGateway({
        transport: kafka.commandTransport(),
        outcomes: stores.outcomes,
        waiter,
        replyTimeoutMs: kafka.config.replyTimeoutMs,
        now: () => clock.now(),
      })
    : handler;
  const screener = createRiskScreener(config.risk, stores.riskCache);
  const webhookProcessor = new WebhookProcessor({
    screener,
    blacklist,
    rails: rails.values(),
    webhooks: stores.webhooks,
    settlements: stores.settlements,
    readModel: stores.readModel,
    handler,
    clock,
    alert: (what, fields) => {
      metrics.providerAlerts.inc({ kind: what });
      logger.warn(fields, `provider alert: ${what}`);
    },
  });
  const webhooks = observedWebhooks(webhookProcessor, metrics, logger);
  // The sandbox's signer and simulator serve tools and tests even where the rail is off (they then find no escrow).
  const sandbox = (rails.get('SANDBOX') as SandboxRail | undefined) ?? new SandboxRail(config.rails.settings.SANDBOX);
  const approvals = createApprovals(core.db, config, clock, stores.readModel, () => service);
  const service = new EscrowService({
    handler: sink,
    approvals,
    rails,
    clock,
    refusals: handler,
    blacklist,
    escrows: stores.readModel,
    ...(kafka ? { remote: { policy: config.policy } } : {}),
  });
  const queries = new EscrowQueryService({ readModel: stores.readModel, outcomes: stores.outcomes });
  return {
    service,
    approvals,
    queries,
    ...createMarketplaceServices({ config, db: core.db, clock, commands: service, queries }, jwtSecret, blacklist),
    webhooks,
    webhookProcessor,
    screener,
    tokens: createTokens(core.db, clock, logger, config.http.maxTokenLifetimeSeconds),
    reconciler: new Reconciler({
      rails,
      store: stores.reconciliation,
      intake: webhookProcessor,
      clock,
      paymentAfterMs: config.reconciler.paymentAfterMs,
      settlementAfterMs: config.reconciler.settlementAfterMs,
    }),
    payoutAccounts: new PayoutAccountService({
      rails,
      store: stores.payoutAccounts,
      settlements: stores.settlements,
      clock,
    }),
    sandbox,
    simulator: new SandboxPaymentSimulator({ rail: sandbox, webhooks, readModel: stores.readModel }),
  };
}

/** The workers of the settlements, timeouts and outbox roles (started by Roles), and the event bus. */
function createWorkers({ config, clock, logger, metrics, stores, rails, handler, kafka, instance, pause }: Core) {
  const delivery = createEventDelivery({
    config,
    logger,
    metrics,
    stores,
    kafka,
    reactions: [{ name: 'rail-voider', handle: voidPaymentOnCancel({ readModel: stores.readModel, rails }) }],
  });
  const settlementWorker = new SettlementWorker({
    store: heldWhilePaused(stores.settlements, pause),
    rails,
    handler,
    clock,
    maxRetries: config.settlements.maxRetries,
    retryDelayMs: config.settlements.retryDelayMs,
    batchSize: config.settlements.batchSize,
    owner: { instanceId: instance.instanceId, staleMs: config.heartbeats.staleMs },
    log: (msg, fields) => logger.warn(fields, msg),
  });
  const timeouts = new TimeoutProcessor({
    store: confirmationsHeldWhilePaused(stores.timeouts, pause),
    handler,
    clock,
    deliveredAction: config.timeouts.deliveredAction,
    autoRefund: config.timeouts.autoRefund,
    onError: (err, escrowId) => logger.error({ err, escrow_id: escrowId }, 'timeout command failed'),
  });
  return { ...delivery, settlementWorker, timeouts };
}
