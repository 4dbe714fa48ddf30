import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { pino, type Logger } from 'pino';
import { openPglite } from './adapters/db/pglite.js';
import { openPostgres } from './adapters/db/postgres.js';
import type { Database } from './adapters/db/database.js';
import { migrate } from './adapters/db/migrate.js';
import { SqlEscrowStore, SqlIntegrityStore } from './adapters/db/escrowStore.js';
import { SqlIdempotencyStore } from './adapters/db/idempotencyStore.js';
import { SqlOutboxStore, SqlSettlementStore, SqlTimeoutStore, SqlWebhookStore } from './adapters/db/workerStores.js';
import { InProcessEventBus } from './adapters/events/inProcessBus.js';
import { consumerLag, createKafka } from './adapters/kafka/client.js';
import { KafkaCommandConsumer } from './adapters/kafka/commandConsumer.js';
import { KafkaCommandTransport } from './adapters/kafka/commands.js';
import { KafkaEventPublisher } from './adapters/kafka/eventPublisher.js';
import { RedisIdempotencyStore } from './adapters/redis/idempotencyStore.js';
import { SandboxRail } from './adapters/rails/sandbox/sandboxRail.js';
import { SandboxPaymentSimulator } from './adapters/rails/sandbox/paymentSimulator.js';
import { CommandHandler } from './app/commandHandler.js';
import { EscrowService } from './app/escrowService.js';
import { OutcomeWaiter, RemoteCommandGateway } from './app/remoteCommands.js';
import type { OutboxMessage } from './app/workerPorts.js';
import type { Clock, PaymentRail } from './app/ports.js';
import { verifyAll } from './app/verify.js';
import { WebhookProcessor } from './app/webhookProcessor.js';
import type { Config } from './config.js';
import type { Rail } from './domain/index.js';
import { dataDirSecret } from './http/auth.js';
import { Metrics } from './observability/metrics.js';
import { OutboxPublisher } from './workers/outboxPublisher.js';
import { PollingLoop } from './workers/pollingLoop.js';
import { SettlementWorker } from './workers/settlementWorker.js';
import { TimeoutProcessor } from './workers/timeoutProcessor.js';

export const ROLES = ['api', 'worker', 'settlements', 'timeouts', 'outbox'] as const;
export type RoleName = (typeof ROLES)[number];

const OUTBOX_CHANNEL = 'escrow_outbox';
/** Workers tell API replicas which commands have an outcome (payload: comma-separated ids). */
const OUTCOMES_CHANNEL = 'escrow_command_outcomes';

export const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export const systemClock: Clock = { now: () => new Date() };

export async function openDatabase(config: Config, schema?: string): Promise<Database> {
  return config.database.mode === 'postgres'
    ? openPostgres({
        url: config.database.url,
        poolSize: config.database.poolSize,
        connectionTimeoutMs: config.database.timeoutMs,
        ...((schema ?? config.database.schema) ? { schema: schema ?? config.database.schema } : {}),
      })
    : openPglite(config.database.dataDir);
}

/** JSON lines with `timestamp`, `level` (as a word) and `service`; secrets never reach the logger. */
export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'escrow-services' },
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  });
}

export interface EngineOptions {
  clock?: Clock;
  logger?: Logger;
  /** An already open database (tests); the engine then does not close it. */
  db?: Database;
  /** Apply pending migrations on start (always in embedded mode). */
  migrate?: boolean;
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;

/** The composition root: the only place that picks concrete adapters. */
export async function createEngine(config: Config, opts: EngineOptions = {}) {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config);
  const db = opts.db ?? (await openDatabase(config));
  if (opts.migrate ?? config.database.mode === 'pglite') {
    const applied = await migrate(db);
    if (applied.length) logger.info({ migrations: applied }, 'migrations applied');
  }

  const metrics = new Metrics();
  let lastTimeoutRun: Date | null = null;
  const store = new SqlEscrowStore(db);
  const webhookStore = new SqlWebhookStore(db);
  const settlementStore = new SqlSettlementStore(db, () => clock.now());
  const timeoutStore = new SqlTimeoutStore(db);
  const outboxStore = new SqlOutboxStore(db);

  const sandbox = new SandboxRail({ webhookSecret: config.sandbox.webhookSecret, apiUrl: config.apiUrl });
  const rails = new Map<Rail, PaymentRail>();
  if (config.sandbox.enabled) rails.set('SANDBOX', sandbox);

  const handler = new CommandHandler({ store, clock, policy: config.policy });
  handler.observe({
    committed: (h, ms) =>
      logger.info(
        {
          escrow_id: h.result.escrowId,
          command: h.result.type,
          from_state: h.result.fromStatus,
          to_state: h.result.toStatus,
          duration_ms: Math.round(ms * 10) / 10,
        },
        'command applied',
      ),
    rejected: (env, err) =>
      logger.info({ escrow_id: env.escrowId, command: env.type, code: err.code }, 'command rejected'),
  });
  handler.observe({
    committed: (h, ms) => {
      metrics.commands.inc({ command: h.result.type, outcome: 'applied' });
      metrics.commandDuration.observe({ command: h.result.type }, ms / 1000);
      if (h.result.fromStatus !== h.result.toStatus) {
        metrics.transitions.inc({ from: h.result.fromStatus ?? 'NONE', to: h.result.toStatus });
      }
    },
    rejected: (env, err) => metrics.commands.inc({ command: env.type, outcome: err.code }),
  });
  // Kafka mode: the API hands client commands to the commands topic and waits for the workers' outcome.
  const kafka = config.kafka ? createKafka(config.kafka, logger) : null;
  // One producer per process: the outbox awaits each batch before the next, so its order holds without limiting the
  // API's concurrent command sends to one request in flight.
  const kafkaProducer = kafka?.producer({ allowAutoTopicCreation: true }) ?? null;
  let producerReady: Promise<void> | null = null;
  const producer = async () => {
    producerReady ??= kafkaProducer!.connect();
    await producerReady;
    return kafkaProducer!;
  };
  const waiter = new OutcomeWaiter(store);
  let commandTransport: KafkaCommandTransport | null = null;
  const sink =
    config.kafka && kafkaProducer
      ? new RemoteCommandGateway({
          transport: {
            send: async (env) => {
              const topic = config.kafka!.commandsTopic;
              const t = performance.now();
              commandTransport ??= new KafkaCommandTransport(await producer(), topic, config.kafka!.lingerMs);
              await commandTransport.send(env);
              metrics.kafkaProduceDuration.observe({ topic }, (performance.now() - t) / 1000);
            },
          },
          outcomes: store,
          waiter,
          replyTimeoutMs: config.kafka.replyTimeoutMs,
          now: () => clock.now(),
        })
      : handler;
  const service = new EscrowService({ handler: sink, readModel: store, rails, policy: config.policy, clock });
  const webhooks = new WebhookProcessor({
    rails,
    webhooks: webhookStore,
    settlements: settlementStore,
    readModel: store,
    handler,
    clock,
  });
  const simulator = new SandboxPaymentSimulator({ rail: sandbox, webhooks, readModel: store });

  const bus = new InProcessEventBus();
  // Voiding the payment intent of a cancelled escrow is a side effect of the committed event (at least once).
  bus.subscribe('rail-voider', async (event) => {
    if (event.type !== 'EscrowCancelled') return;
    const escrow = await store.getEscrow(event.escrowId);
    const rail = escrow && rails.get(escrow.rail);
    if (escrow && rail) await rail.voidPayment({ escrowId: escrow.id, reference: escrow.payment.reference });
  });

  const settlementWorker = new SettlementWorker({
    store: settlementStore,
    rails,
    handler,
    clock,
    maxRetries: config.settlements.maxRetries,
    retryDelayMs: config.settlements.retryDelayMs,
    batchSize: config.settlements.batchSize,
    log: (msg, fields) => logger.warn(fields, msg),
  });
  const timeouts = new TimeoutProcessor({
    store: timeoutStore,
    handler,
    clock,
    deliveredAction: config.timeouts.deliveredAction,
    autoRefund: config.timeouts.autoRefund,
    onError: (err, escrowId) => logger.error({ err, escrow_id: escrowId }, 'timeout command failed'),
  });
  /** Told, after each acknowledged publication to Kafka, how long each event waited since its commit (ms). */
  const outboxObservers: ((delaysMs: number[]) => void)[] = [];
  // Kafka mode: events go to the events topic (acknowledged) and then to the in-process subscribers of this process.
  let eventPublisher: KafkaEventPublisher | null = null;
  const events = async () => (eventPublisher ??= new KafkaEventPublisher(await producer(), config.kafka!.eventsTopic));
  const kafkaEvents = config.kafka
    ? {
        publish: async (batch: readonly OutboxMessage[]) => {
          const topic = config.kafka!.eventsTopic;
          const t = performance.now();
          await (await events()).publish(batch);
          metrics.kafkaProduceDuration.observe({ topic }, (performance.now() - t) / 1000);
          const now = Date.now();
          const delays = batch.map((m) => now - Date.parse(m.createdAt));
          for (const d of delays) metrics.outboxPublishDelay.observe(d / 1000);
          for (const o of outboxObservers) o(delays);
          await bus.publish(batch);
        },
        deadLetter: async (m: OutboxMessage, error: string) => (await events()).deadLetter(m, error),
      }
    : null;
  const outbox = new OutboxPublisher({
    store: outboxStore,
    publisher: kafkaEvents ?? bus,
    owner: `${hostname()}:${process.pid}`,
    batchSize: config.outbox.batchSize,
    maxAttempts: config.outbox.maxAttempts,
    onDeadLetter: (m, error) => {
      logger.error({ escrow_id: m.escrowId, event_id: m.eventId, error }, 'outbox dead letter');
      kafkaEvents
        ?.deadLetter(m, error)
        .catch((err: unknown) =>
          logger.error({ err, event_id: m.eventId }, 'could not copy the dead letter to the DLQ'),
        );
    },
  });

  const cleanups: (() => Promise<void>)[] = [];
  // Publishers in other processes learn of commits through NOTIFY, sent after commit (a NOTIFY inside the command's
  // transaction would serialise every commit on its lock): at once after a quiet spell, then at most one per 10 ms
  // per process, the last one covering every commit before it.
  if (db.kind === 'postgres') {
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
    cleanups.push(() => {
      if (pending) clearTimeout(pending);
      return Promise.resolve();
    });
  }

  // Outcomes of client commands: this process's waiters learn at once; other API replicas through NOTIFY.
  if (config.kafka) {
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
        // 8000-byte payload limit: 200 ids of 37 bytes per notification
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
    cleanups.push(() => {
      if (pendingNotify) clearTimeout(pendingNotify);
      waiter.close();
      return Promise.resolve();
    });
  }

  /** Kafka mode: one admin client per process, connected on first use (/health, consumer lag in /metrics). */
  let kafkaAdmin: Promise<Admin> | null = null;
  const admin = () =>
    (kafkaAdmin ??= (async () => {
      if (!kafka) throw new Error('not in Kafka mode');
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((err: unknown) => {
      kafkaAdmin = null; // the next call tries again
      throw err;
    }));
  /** The worker group's lag on the commands topic, per partition. */
  const kafkaLag = async () => consumerLag(await admin(), config.kafka!.groupId, config.kafka!.commandsTopic);
  /** Whether a broker answers (cluster metadata), for /health. */
  async function kafkaHealth(): Promise<{ ok: boolean; latencyMs: number; detail: string }> {
    const t = performance.now();
    try {
      const cluster = await Promise.race([
        admin().then((a) => a.describeCluster()),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000).unref()),
      ]);
      return { ok: true, latencyMs: performance.now() - t, detail: `${cluster.brokers.length} broker(s)` };
    } catch (err) {
      return { ok: false, latencyMs: performance.now() - t, detail: err instanceof Error ? err.message : String(err) };
    }
  }
  cleanups.push(async () => {
    const a = kafkaAdmin && (await kafkaAdmin.catch(() => null));
    await a?.disconnect();
  });

  const loops: PollingLoop[] = [];
  const onError = (name: string) => (err: unknown) => logger.error({ err, worker: name }, 'worker tick failed');

  async function start(roles: readonly RoleName[]): Promise<{ port?: number; metricsPort?: number }> {
    const started: PollingLoop[] = [];
    if (roles.includes('outbox')) {
      const loop = new PollingLoop(
        'outbox',
        async () => ((await outbox.runOnce()) >= config.outbox.batchSize ? 0 : undefined),
        config.outbox.pollIntervalMs,
        onError('outbox'),
      );
      handler.observe({ committed: () => loop.wake() });
      if (db.kind === 'postgres') cleanups.push(await db.listen(OUTBOX_CHANNEL, () => loop.wake()));
      started.push(loop);
    }
    if (roles.includes('settlements')) {
      const loop = new PollingLoop(
        'settlements',
        async () => ((await settlementWorker.runOnce()).claimed > 0 ? 0 : undefined),
        Math.min(1000, config.settlements.retryDelayMs),
        onError('settlements'),
      );
      handler.observe({
        committed: (h) => (h.escrow.settlements.some((s) => s.status === 'PENDING') ? loop.wake() : undefined),
      });
      started.push(loop);
    }
    if (roles.includes('timeouts')) {
      started.push(
        new PollingLoop(
          'timeouts',
          async () => {
            const s = await timeouts.runOnce();
            lastTimeoutRun = clock.now();
            metrics.timeoutLastSuccess.set(lastTimeoutRun.getTime() / 1000);
            if (s.expired || s.deliveryTimeouts) logger.info({ ...s, due: s.due.length }, 'timeouts applied');
            return timeouts.msUntilNextDeadline();
          },
          config.timeouts.pollIntervalMs,
          onError('timeouts'),
        ),
      );
    }
    for (const l of started) l.start();
    loops.push(...started);
    if (kafka && config.kafka) {
      cleanups.push(async () => {
        if (producerReady) await kafkaProducer!.disconnect();
      });
      if (roles.includes('worker')) {
        const kc = config.kafka;
        const worker = new KafkaCommandConsumer({
          consumer: () =>
            kafka.consumer({
              groupId: kc.groupId,
              allowAutoTopicCreation: true,
              // a broker answers a fetch as soon as a command arrives; this bounds an idle poll
              maxWaitTimeInMs: kc.worker.fetchMaxWaitMs,
              // a worker that dies silently gives its partitions up after this long
              sessionTimeout: kc.worker.sessionTimeoutMs,
              heartbeatInterval: Math.max(300, Math.min(3000, Math.floor(kc.worker.sessionTimeoutMs / 5))),
            }),
          producer: await producer(),
          topic: config.kafka.commandsTopic,
          handler,
          logger,
          maxInFlight: config.kafka.worker.maxInFlight,
          maxAttempts: config.kafka.worker.maxAttempts,
        });
        await worker.start();
        cleanups.unshift(() => worker.stop());
      }
      if (roles.includes('api') || roles.includes('outbox')) await producer();
      if (roles.includes('api') && db.kind === 'postgres') {
        cleanups.push(await db.listen(OUTCOMES_CHANNEL, (payload) => waiter.ready(payload.split(','))));
      }
    }
    if (!roles.includes('api') && config.metricsPort !== undefined) {
      // Roles without the HTTP API still expose their own figures (publish delay, command durations, ...).
      const server = createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      });
      await new Promise<void>((resolve) => server.listen(config.metricsPort, config.host, resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      const address = server.address();
      return { metricsPort: typeof address === 'object' && address ? address.port : config.metricsPort };
    }
    if (roles.includes('api')) {
      const redis = config.http.redisUrl ? new Redis(config.http.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
      if (redis) cleanups.push(async () => void (await redis.quit()));
      // Loaded only where the api role runs: workers and CLI commands start without Fastify.
      const { buildHttpApp } = await import('./http/app.js');
      const { storage, ttlMs, lockMs } = config.http.idempotency;
      const idempotencyStore =
        storage === 'redis' && redis ? new RedisIdempotencyStore(redis) : new SqlIdempotencyStore(db);
      const app = await buildHttpApp(engine, {
        ...config.http,
        ...(redis ? { redis } : {}),
        idempotency: { store: idempotencyStore, ttlMs, lockMs },
        ...(config.http.jwtSecret || config.http.jwksUrl ? {} : { jwtSecret: jwtSecret() }),
        version: VERSION,
      });
      await app.listen({ port: config.port, host: config.host });
      cleanups.unshift(() => app.close());
      const address = app.server.address();
      return { port: typeof address === 'object' && address ? address.port : config.port };
    }
    return {};
  }

  /** The HS256 secret: JWT_SECRET, or in embedded mode one generated once and kept in the data directory. */
  function jwtSecret(): string {
    if (config.http.jwtSecret) return config.http.jwtSecret;
    if (config.database.mode === 'pglite' && !config.database.dataDir.startsWith('memory://')) {
      return dataDirSecret(config.database.dataDir);
    }
    return (generatedSecret ??= randomBytes(48).toString('base64url'));
  }
  let generatedSecret: string | undefined;

  async function stop(): Promise<void> {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    for (const c of cleanups.splice(0)) await c();
    if (!opts.db) await db.close();
  }

  const engine = {
    config,
    clock,
    metrics,
    lastTimeoutRun: () => lastTimeoutRun,
    jwtSecret: () => jwtSecret(),
    logger,
    db,
    store,
    handler,
    service,
    kafka,
    kafkaHealth,
    kafkaLag,
    onOutboxPublished: (fn: (delaysMs: number[]) => void) => void outboxObservers.push(fn),
    webhooks,
    simulator,
    sandbox,
    bus,
    settlementWorker,
    timeouts,
    outbox,
    outboxStore,
    verify: () => verifyAll(store, new SqlIntegrityStore(db)),
    start,
    stop,
  };
  return engine;
}
