import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import type { CommandHandler } from '../app/commandHandler.js';
import type { OperationsService } from '../app/operations.js';
import type { PauseService } from '../app/pause.js';
import type { HeartbeatStore, Liveness, ProcessInstance } from '../app/ports/heartbeatStore.js';
import { DatabaseUnavailableError } from '../app/ports/databaseUnavailable.js';
import type { OutcomeWaiter } from '../app/remoteCommands.js';
import type { Clock } from '../app/ports/index.js';
import type { Config } from '../config/index.js';
import type { HttpDeps } from '../http/deps.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxPublisher } from '../workers/outboxPublisher.js';
import { PollingLoop } from '../workers/pollingLoop.js';
import type { Reconciler } from '../app/reconciler.js';
import type { SettlementWorker } from '../workers/settlementWorker.js';
import type { TimeoutProcessor } from '../workers/timeoutProcessor.js';
import type { WebhookDispatcher } from '../workers/webhookDispatcher.js';
import { OUTBOX_CHANNEL, OUTCOMES_CHANNEL } from './commandPath.js';
import { startApi } from './http.js';
import type { KafkaRuntime } from './kafka.js';
import { startMetricsServer } from './metricsServer.js';
import { ROLES, type RoleName, type StartedRoles } from './types.js';
import { VERSION } from './version.js';

export interface RoleDeps {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  handler: CommandHandler;
  outbox: OutboxPublisher;
  settlementWorker: SettlementWorker;
  timeouts: TimeoutProcessor;
  reconciler: Reconciler;
  /** The `webhooks` role: outgoing webhooks fanned out from the outbox by their own cursor and delivered. */
  webhookDispatcher: WebhookDispatcher;
  kafka: KafkaRuntime | null;
  waiter: OutcomeWaiter;
  http: () => HttpDeps;
  jwtSecret: () => string;
  /** This process, as its heartbeats and the locks and leases it takes name it. */
  instance: ProcessInstance;
  heartbeats: HeartbeatStore;
  /** The database gauges for a metrics server of roles without the API (the same ones the API's /metrics serves). */
  operations: () => OperationsService;
  /** The emergency pause: a resume (here or anywhere) wakes the loops, so what they held goes on at once. */
  pause: Pick<PauseService, 'onChange'>;
}

/** A fresh identity for this process (one per engine). */
export const processInstance = (): ProcessInstance => ({
  instanceId: randomUUID(),
  host: hostname(),
  pid: process.pid,
  version: VERSION,
  startedAt: new Date(),
});

/**
 * The roles some process of a deployment must run: the Kafka command worker only in Kafka mode, the reconciler only
 * where a real rail runs (the sandbox keeps no record to reconcile with).
 */
export const expectedRoles = (config: Config): RoleName[] =>
  ROLES.filter(
    (r) =>
      (r !== 'worker' || config.kafka !== undefined) &&
      (r !== 'reconciler' || config.rails.enabled.some((x) => x !== 'SANDBOX')),
  );

/** Whether the process holding a lock or lease still beats (any role), by HEARTBEAT_STALE_SECONDS. */
export const livenessOf = (d: Pick<RoleDeps, 'instance' | 'heartbeats' | 'config'>): Liveness => ({
  instanceId: d.instance.instanceId,
  isAlive: (id) => d.heartbeats.isAlive(id, d.config.heartbeats.staleMs),
});

/** Starts and stops the roles of one process: worker loops, the Kafka worker, the API or a metrics server. */
export class Roles {
  private readonly loops: PollingLoop[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private lastTimeoutRun: Date | null = null;
  private closeApi: (() => Promise<void>) | null = null;
  /** The roles this process runs (its heartbeat rows). */
  private readonly running = new Set<RoleName>();
  private beatTimer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  private beatFailing = false;

  constructor(private readonly d: RoleDeps) {}

  /** When this process's timeouts role last completed a run. */
  lastTimeoutRunAt(): Date | null {
    return this.lastTimeoutRun;
  }

  /** Every loop of this process runs its tick now (the database is back after an outage). */
  wakeLoops(): void {
    for (const l of this.loops) l.wake();
    // and says it is alive at once, rather than at its next beat (others may have taken it for gone meanwhile)
    if (this.beatTimer) void this.beat();
  }

  /** Cleanups the engine registers for what it started itself (NOTIFY throttles, the outcome waiter). */
  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** The roles running in this process. */
  runningHere(): RoleName[] {
    return [...this.running];
  }

  async start(roles: readonly RoleName[]): Promise<StartedRoles> {
    // The heartbeat first: whatever this process locks or leases from now on belongs to a live instance.
    const beats = roles.filter((r) => r !== 'worker' || this.d.kafka !== null);
    for (const r of beats) this.running.add(r);
    await this.beat();
    this.scheduleBeat();
    const started: PollingLoop[] = [];
    if (roles.includes('outbox')) started.push(await this.outboxLoop());
    if (roles.includes('settlements')) started.push(this.settlementsLoop());
    if (roles.includes('timeouts')) started.push(this.timeoutsLoop());
    if (roles.includes('reconciler')) started.push(this.reconcilerLoop());
    if (roles.includes('webhooks')) started.push(await this.webhooksLoop());
    for (const l of started) l.start();
    this.loops.push(...started);
    const held = started.filter((l) => l.name === 'settlements' || l.name === 'timeouts');
    if (held.length > 0) {
      // payouts not paused (any more): what the pause held goes now, not at the end of the loops' sleep
      const unsubscribe = this.d.pause.onChange((s) => (s.payouts ? undefined : held.forEach((l) => l.wake())));
      this.cleanups.push(() => Promise.resolve(unsubscribe()));
    }
    const { kafka, db } = this.d;
    if (kafka) {
      if (roles.includes('worker')) await kafka.startWorker(this.d.handler);
      if (roles.includes('api') || roles.includes('outbox')) await kafka.producer();
      if (roles.includes('api') && db.kind === 'postgres') {
        this.cleanups.push(await db.listen(OUTCOMES_CHANNEL, (payload) => this.d.waiter.ready(payload.split(','))));
      }
    }
    const { config } = this.d;
    if (!roles.includes('api') && config.metricsPort !== undefined) {
      const server = await startMetricsServer(this.d.metrics, config.metricsPort, config.host, {
        snapshot: () => this.d.operations().snapshot(),
        warn: (err, msg) => this.d.logger.warn({ err }, msg),
        ready: () => this.d.operations().database(),
      });
      this.cleanups.push(server.close);
      return { metricsPort: server.port };
    }
    if (roles.includes('api')) {
      const api = await startApi(config, db, this.d.http(), this.d.jwtSecret, livenessOf(this.d));
      this.closeApi = api.close;
      return { port: api.port };
    }
    return {};
  }

  /**
   * Stops the loops (each finishes its tick) and the API (it drains the requests in flight, whose commands the worker
   * of this process may still be applying), then the worker, then everything else; the Kafka clients last.
   */
  async stop(): Promise<void> {
    await Promise.all(this.loops.splice(0).map((l) => l.stop()));
    const closeApi = this.closeApi;
    this.closeApi = null;
    await closeApi?.();
    await this.d.kafka?.stopWorker();
    await this.stopBeating();
    for (const c of this.cleanups.splice(0)) await c();
    await this.d.kafka?.close();
  }

  /** One row per running role, refreshed every HEARTBEAT_INTERVAL_SECONDS; a failed beat is retried at the next. */
  private beat(): Promise<void> {
    // One beat at a time, in order: a stop that waits for `beating` waits for every beat sent before it.
    this.beating = this.beating.then(() => (this.running.size > 0 ? this.beatOnce() : undefined));
    return this.beating;
  }

  private beatOnce(): Promise<void> {
    return this.d.heartbeats.beat(this.d.instance, [...this.running]).then(
      () => {
        if (this.beatFailing) this.d.logger.info('heartbeat recorded again');
        this.beatFailing = false;
      },
      (err: unknown) => {
        // Once per streak: a database outage is told by the database adapter, not every few seconds here.
        if (!this.beatFailing) this.d.logger.warn({ err }, 'heartbeat not recorded (retried at every beat)');
        this.beatFailing = true;
      },
    );
  }

  private scheduleBeat(): void {
    if (this.beatTimer || this.running.size === 0) return;
    const next = () => {
      const ms = this.d.config.heartbeats.intervalMs;
      this.beatTimer = setTimeout(() => void this.beat().then(() => this.beatTimer && next()), ms);
    };
    next();
  }

  /** After a clean stop nothing of this process is alive: its rows go at once (others need not wait them out). */
  private async stopBeating(): Promise<void> {
    const timer = this.beatTimer;
    this.beatTimer = null;
    if (timer) clearTimeout(timer);
    const beat = this.running.size > 0;
    this.running.clear(); // beats still queued do nothing now
    await this.beating;
    if (!beat) return;
    await this.d.heartbeats
      .remove(this.d.instance.instanceId)
      .catch((err: unknown) => this.d.logger.warn({ err }, 'heartbeat not removed'));
  }

  private onError(name: string) {
    return (err: unknown) => {
      // An outage is logged once where it is noticed (composition/database.ts), not once per tick of every loop.
      if (err instanceof DatabaseUnavailableError) {
        if (err.reason === 'unreachable') return;
        this.d.logger.warn({ worker: name, reason: err.message }, 'worker tick postponed');
      } else this.d.logger.error({ err, worker: name }, 'worker tick failed');
    };
  }

  private async outboxLoop(): Promise<PollingLoop> {
    const { config, outbox, handler, db } = this.d;
    const loop = new PollingLoop(
      'outbox',
      async () => ((await outbox.runOnce()) >= config.outbox.batchSize ? 0 : undefined),
      config.outbox.pollIntervalMs,
      this.onError('outbox'),
    );
    handler.observe({ committed: () => loop.wake() });
    if (db.kind === 'postgres') {
      const wake = () => loop.wake();
      this.cleanups.push(await db.listen(OUTBOX_CHANNEL, wake, { onReconnect: wake }));
    }
    return loop;
  }

  /** Woken by commits (here, or anywhere by the outbox's NOTIFY) and whenever an attempt ends; drained on stop. */
  private async webhooksLoop(): Promise<PollingLoop> {
    const { config, webhookDispatcher: dispatcher, handler, db } = this.d;
    const loop = new PollingLoop(
      'webhooks',
      async () => {
        const { started } = await dispatcher.runOnce();
        return started > 0 && dispatcher.busy < config.webhooks.concurrency ? 0 : undefined;
      },
      config.webhooks.pollIntervalMs,
      this.onError('webhooks'),
    );
    dispatcher.onSettled = () => loop.wake();
    const committed = () => {
      dispatcher.noteCommitted();
      loop.wake();
    };
    handler.observe({ committed });
    if (db.kind === 'postgres') {
      this.cleanups.push(await db.listen(OUTBOX_CHANNEL, committed, { onReconnect: committed }));
    }
    this.cleanups.push(() => dispatcher.drain());
    return loop;
  }

  private settlementsLoop(): PollingLoop {
    const { config, settlementWorker, handler } = this.d;
    const loop = new PollingLoop(
      'settlements',
      async () => ((await settlementWorker.runOnce()).claimed > 0 ? 0 : undefined),
      Math.min(1000, config.settlements.retryDelayMs),
      this.onError('settlements'),
    );
    handler.observe({
      committed: (h) => (h.escrow.settlements.some((s) => s.status === 'PENDING') ? loop.wake() : undefined),
    });
    return loop;
  }

  private reconcilerLoop(): PollingLoop {
    const { config, reconciler, clock, metrics, logger } = this.d;
    return new PollingLoop(
      'reconciler',
      async () => {
        const report = await reconciler.run({ windowMs: config.reconciler.windowMs });
        metrics.reconciliationLastSuccess.set(clock.now().getTime() / 1000);
        metrics.reconciliationMismatches.reset();
        for (const m of report.mismatches) metrics.reconciliationMismatches.inc({ kind: m.kind, rail: m.rail });
        if (report.mismatches.length > 0) {
          const { recovered } = report;
          logger.warn({ mismatches: report.mismatches.length, ...recovered }, 'reconciliation found mismatches');
        }
        return undefined;
      },
      config.reconciler.intervalMs,
      this.onError('reconciler'),
    );
  }

  private timeoutsLoop(): PollingLoop {
    const { config, timeouts, clock, metrics, logger } = this.d;
    return new PollingLoop(
      'timeouts',
      async () => {
        const s = await timeouts.runOnce();
        this.lastTimeoutRun = clock.now();
        metrics.timeoutLastSuccess.set(this.lastTimeoutRun.getTime() / 1000);
        if (s.expired || s.deliveryTimeouts) logger.info({ ...s, due: s.due.length }, 'timeouts applied');
        return timeouts.msUntilNextDeadline();
      },
      config.timeouts.pollIntervalMs,
      this.onError('timeouts'),
    );
  }
}
