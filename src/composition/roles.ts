import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import type { CommandHandler } from '../app/commandHandler.js';
import { DatabaseUnavailableError } from '../app/ports/databaseUnavailable.js';
import type { OutcomeWaiter } from '../app/remoteCommands.js';
import type { Clock } from '../app/ports/index.js';
import type { Config } from '../config/index.js';
import type { HttpDeps } from '../http/deps.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxPublisher } from '../workers/outboxPublisher.js';
import { PollingLoop } from '../workers/pollingLoop.js';
import type { SettlementWorker } from '../workers/settlementWorker.js';
import type { TimeoutProcessor } from '../workers/timeoutProcessor.js';
import { OUTBOX_CHANNEL, OUTCOMES_CHANNEL } from './commandPath.js';
import { startApi } from './http.js';
import type { KafkaRuntime } from './kafka.js';
import { startMetricsServer } from './metricsServer.js';
import type { RoleName, StartedRoles } from './types.js';

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
  kafka: KafkaRuntime | null;
  waiter: OutcomeWaiter;
  http: () => HttpDeps;
  jwtSecret: () => string;
}

/** Starts and stops the roles of one process: worker loops, the Kafka worker, the API or a metrics server. */
export class Roles {
  private readonly loops: PollingLoop[] = [];
  private readonly cleanups: (() => Promise<void>)[] = [];
  private lastTimeoutRun: Date | null = null;
  private closeApi: (() => Promise<void>) | null = null;

  constructor(private readonly d: RoleDeps) {}

  /** When this process's timeouts role last completed a run. */
  lastTimeoutRunAt(): Date | null {
    return this.lastTimeoutRun;
  }

  /** Every loop of this process runs its tick now (the database is back after an outage). */
  wakeLoops(): void {
    for (const l of this.loops) l.wake();
  }

  /** Cleanups the engine registers for what it started itself (NOTIFY throttles, the outcome waiter). */
  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  async start(roles: readonly RoleName[]): Promise<StartedRoles> {
    const started: PollingLoop[] = [];
    if (roles.includes('outbox')) started.push(await this.outboxLoop());
    if (roles.includes('settlements')) started.push(this.settlementsLoop());
    if (roles.includes('timeouts')) started.push(this.timeoutsLoop());
    for (const l of started) l.start();
    this.loops.push(...started);
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
      const server = await startMetricsServer(this.d.metrics, config.metricsPort, config.host);
      this.cleanups.push(server.close);
      return { metricsPort: server.port };
    }
    if (roles.includes('api')) {
      const api = await startApi(config, db, this.d.http(), this.d.jwtSecret);
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
    for (const c of this.cleanups.splice(0)) await c();
    await this.d.kafka?.close();
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
