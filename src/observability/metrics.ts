import type { OperationsSnapshot } from '../app/operations.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BusinessMetrics } from './businessMetrics.js';
import { WebhookMetrics } from './webhookMetrics.js';

/** The SPEC §8 metrics, in one registry per process. Gauges that need the database are filled on scrape. */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'escrow_commands_total',
    help: 'Commands by type and outcome (applied, duplicate, rejected code)',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: 'escrow_command_duration_seconds',
    help: 'Command handling time: load, decide, commit',
    labelNames: ['command'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly transitions = new Counter({
    name: 'escrow_transitions_total',
    help: 'Escrow status transitions',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });
  readonly escrows = new Gauge({
    name: 'escrows',
    help: 'Escrows by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly outboxUnpublished = new Gauge({
    name: 'outbox_unpublished_events',
    help: 'Outbox rows not yet published',
    registers: [this.registry],
  });
  readonly outboxOldestAge = new Gauge({
    name: 'outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest unpublished outbox row',
    registers: [this.registry],
  });
  readonly outboxPublished = new Counter({
    name: 'outbox_published_total',
    help: 'Outbox rows published',
    registers: [this.registry],
  });
  readonly outboxDeadLetters = new Counter({
    name: 'outbox_dead_letters_total',
    help: 'Outbox rows dead-lettered',
    registers: [this.registry],
  });
  readonly webhookEvents = new Counter({
    name: 'webhook_events_total',
    help: 'Provider webhooks by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly reconciliationMismatches = new Gauge({
    name: 'reconciliation_mismatches',
    help: "Mismatches between escrow state, ledger and provider at the reconciler's last run",
    labelNames: ['kind', 'rail'] as const,
    registers: [this.registry],
  });
  readonly reconciliationLastSuccess = new Gauge({
    name: 'reconciliation_last_success_timestamp_seconds',
    help: 'When the reconciler last completed a run',
    registers: [this.registry],
  });
  readonly providerAlerts = new Counter({
    name: 'provider_alerts_total',
    help: 'What providers reported that an operator must see: chargebacks, reversed payouts, risky payments',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly settlements = new Gauge({
    name: 'settlements',
    help: 'Settlements by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly timeoutLastSuccess = new Gauge({
    name: 'timeout_processor_last_success_timestamp_seconds',
    help: 'When the timeout processor last completed a run',
    registers: [this.registry],
  });
  readonly dbPool = new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly disputesOverdue = new Gauge({
    name: 'escrow_disputes_overdue',
    help: "Open disputes past a deadline: response (the other party's answer) or sla (the admins' ruling)",
    labelNames: ['deadline'] as const,
    registers: [this.registry],
  });

  readonly roleInstances = new Gauge({
    name: 'escrow_role_instances',
    help: 'Live instances per role across every process on the database (heartbeat within HEARTBEAT_STALE_SECONDS)',
    labelNames: ['role'] as const,
    registers: [this.registry],
  });

  readonly paused = new Gauge({
    name: 'escrow_paused',
    help: 'Whether the emergency pause of a scope (payouts, intake) is in force, as this process holds it (1) or not (0)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });

  readonly kafkaConsumerLag = new Gauge({
    name: 'kafka_consumer_lag',
    help: 'Commands not yet consumed by the worker group, per partition of the commands topic',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });
  readonly kafkaProduceDuration = new Histogram({
    name: 'kafka_produce_duration_seconds',
    help: 'Time from send to the acknowledgement of every in-sync replica, per topic',
    labelNames: ['topic'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly outboxPublishDelay = new Histogram({
    name: 'outbox_publish_delay_seconds',
    help: 'From the commit of an event to its acknowledged publication',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly dbErrors = new Counter({
    name: 'db_errors_total',
    help: 'Failed database statements and transactions by kind: unreachable, busy (pool), timeout (statement), other',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** escrow_created_total … escrow_platform_fees_minor_total{currency}, counted after commit (businessMetrics.ts). */
  readonly business = new BusinessMetrics(this.registry);
  /** webhook_deliveries_total{outcome} … webhook_oldest_pending_seconds{endpoint} (webhookMetrics.ts). */
  readonly webhooks = new WebhookMetrics(this.registry);

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The exposition text for a scrape, the database gauges refreshed from `snapshot` first. Should the database not
   * answer, the process's own figures are still served (and `warn` told): a scrape says this process is up.
   */
  async scrape(
    snapshot?: () => Promise<OperationsSnapshot>,
    warn: (err: unknown, msg: string) => void = () => undefined,
  ): Promise<string> {
    if (snapshot) {
      try {
        const s = await snapshot();
        if (s.kafkaLagError) warn(s.kafkaLagError, 'kafka consumer lag unavailable');
        this.applySnapshot(s);
      } catch (err) {
        warn(err, 'database gauges not refreshed');
      }
    }
    return this.registry.metrics();
  }

  /** Sets the gauges that come from the database and the broker (filled on scrape). */
  applySnapshot(s: OperationsSnapshot): void {
    this.escrows.reset();
    for (const [status, n] of Object.entries(s.escrowsByStatus)) this.escrows.set({ status }, n);
    this.settlements.reset();
    for (const [status, n] of Object.entries(s.settlementsByStatus)) this.settlements.set({ status }, n);
    this.outboxUnpublished.set(s.outbox.unpublished);
    this.outboxOldestAge.set(s.outbox.oldestAgeSeconds);
    this.disputesOverdue.set({ deadline: 'response' }, s.disputesOverdue.response);
    this.disputesOverdue.set({ deadline: 'sla' }, s.disputesOverdue.sla);
    if (s.kafkaLag) {
      this.kafkaConsumerLag.reset();
      for (const p of s.kafkaLag.partitions) {
        this.kafkaConsumerLag.set({ topic: s.kafkaLag.topic, partition: String(p.partition) }, p.lag);
      }
    }
    if (s.liveInstances) {
      this.roleInstances.reset();
      for (const [role, n] of Object.entries(s.liveInstances)) this.roleInstances.set({ role }, n);
    }
    if (s.paused) {
      this.paused.set({ scope: 'payouts' }, s.paused.payouts ? 1 : 0);
      this.paused.set({ scope: 'intake' }, s.paused.intake ? 1 : 0);
    }
    if (s.webhooksOldestPending) this.webhooks.applyBacklog(s.webhooksOldestPending);
    this.dbPool.set({ state: 'total' }, s.pool.total);
    this.dbPool.set({ state: 'idle' }, s.pool.idle);
    this.dbPool.set({ state: 'waiting' }, s.pool.waiting);
  }
}
