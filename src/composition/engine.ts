import { createRails } from '../adapters/rails/registry.js';
import { SandboxPaymentSimulator, SandboxRail } from '../adapters/rails/sandbox/index.js';
import { EscrowQueryService } from '../app/escrowQueries.js';
import { EscrowService } from '../app/escrowService.js';
import { OperationsService } from '../app/operations.js';
import { voidPaymentOnCancel } from '../app/reactions/index.js';
import { OutcomeWaiter, RemoteCommandGateway } from '../app/remoteCommands.js';
import type { Clock } from '../app/ports/index.js';
import { verifyAll } from '../app/verify.js';
import { WebhookProcessor } from '../app/webhookProcessor.js';
import type { Config } from '../config/index.js';
import { Metrics } from '../observability/metrics.js';
import { SettlementWorker } from '../workers/settlementWorker.js';
import { TimeoutProcessor } from '../workers/timeoutProcessor.js';
import { announceOutcomes, createCommandHandler, notifyCommits } from './commandPath.js';
import { migrateOnStart, openDatabase } from './database.js';
import { createEventDelivery } from './events.js';
import { KafkaRuntime } from './kafka.js';
import { createLogger } from './logger.js';
import { Roles } from './roles.js';
import { jwtSecretSource } from './secrets.js';
import { createStores } from './stores.js';
import type { Engine, EngineOptions } from './types.js';

export const systemClock: Clock = { now: () => new Date() };

/** The composition root: the only place that picks concrete adapters and wires the services and roles. */
export async function createEngine(config: Config, opts: EngineOptions = {}): Promise<Engine> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config);
  const db = opts.db ?? (await openDatabase(config));
  if (opts.migrate ?? config.database.mode === 'pglite') await migrateOnStart(db, logger);

  const metrics = new Metrics();
  const stores = createStores(db, clock);
  const rails = createRails(config.rails);
  // The sandbox's signer and simulator serve tools and tests even where the rail is off (they then find no escrow).
  const sandbox = (rails.get('SANDBOX') as SandboxRail | undefined) ?? new SandboxRail(config.rails.settings.SANDBOX);

  const handler = createCommandHandler({ config, store: stores.escrows, clock, logger, metrics });
  const kafka = config.kafka ? new KafkaRuntime(config.kafka, logger, metrics) : null;
  const waiter = new OutcomeWaiter(stores.outcomes);
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
  const service = new EscrowService({
    handler: sink,
    readModel: stores.readModel,
    rails,
    policy: config.policy,
    clock,
  });
  const queries = new EscrowQueryService({ readModel: stores.readModel, outcomes: stores.outcomes });
  const webhooks = new WebhookProcessor({
    rails: rails.values(),
    webhooks: stores.webhooks,
    settlements: stores.settlements,
    readModel: stores.readModel,
    handler,
    clock,
  });
  const simulator = new SandboxPaymentSimulator({ rail: sandbox, webhooks, readModel: stores.readModel });
  const delivery = createEventDelivery({
    config,
    logger,
    stores,
    kafka,
    reactions: [{ name: 'rail-voider', handle: voidPaymentOnCancel({ readModel: stores.readModel, rails }) }],
  });
  const settlementWorker = new SettlementWorker({
    store: stores.settlements,
    rails,
    handler,
    clock,
    maxRetries: config.settlements.maxRetries,
    retryDelayMs: config.settlements.retryDelayMs,
    batchSize: config.settlements.batchSize,
    log: (msg, fields) => logger.warn(fields, msg),
  });
  const timeouts = new TimeoutProcessor({
    store: stores.timeouts,
    handler,
    clock,
    deliveredAction: config.timeouts.deliveredAction,
    autoRefund: config.timeouts.autoRefund,
    onError: (err, escrowId) => logger.error({ err, escrow_id: escrowId }, 'timeout command failed'),
  });
  const jwtSecret = jwtSecretSource(config);
  const roles: Roles = new Roles({
    ...{ config, db, clock, logger, metrics, handler, kafka, waiter, jwtSecret, settlementWorker, timeouts },
    outbox: delivery.outbox,
    http: () => ({
      ...{ commands: service, queries, webhooks, operations, timeouts, metrics, logger, clock },
      rails: [...rails.values()].map((r) => ({ rail: r.rail, provider: r.provider })),
      simulator: rails.has('SANDBOX') ? simulator : null,
    }),
  });
  const operations = new OperationsService({
    queries: stores.operations,
    outbox: stores.outbox,
    clock,
    lastTimeoutRun: () => roles.lastTimeoutRunAt(),
    timeoutPollIntervalMs: config.timeouts.pollIntervalMs,
    ...(kafka ? { broker: kafka.brokerStatus() } : {}),
  });
  if (db.kind === 'postgres') roles.onStop(notifyCommits(handler, db));
  if (kafka) roles.onStop(announceOutcomes(handler, waiter, db));

  return {
    ...{ config, clock, logger, metrics, db, stores, handler, service, queries, operations, webhooks, rails },
    ...{ sandbox, simulator, settlementWorker, timeouts, jwtSecret },
    readModel: stores.readModel,
    outcomes: stores.outcomes,
    bus: delivery.bus,
    outbox: delivery.outbox,
    lastTimeoutRun: () => roles.lastTimeoutRunAt(),
    onOutboxPublished: delivery.onOutboxPublished,
    verify: () => verifyAll(stores.readModel, stores.integrity),
    start: (r) => roles.start(r),
    stop: async () => {
      await roles.stop();
      if (!opts.db) await db.close();
    },
  };
}
