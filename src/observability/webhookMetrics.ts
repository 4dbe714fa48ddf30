import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Outgoing webhooks' figures (issue 14): attempts by outcome, their latency, disabled endpoints, the backlog. */
export class WebhookMetrics {
  readonly deliveries: Counter<'outcome'>;
  readonly latency: Histogram<'outcome'>;
  readonly commitToDelivery: Histogram;
  readonly endpointsDisabled: Counter<'reason'>;
  readonly oldestPending: Gauge<'endpoint'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'webhook_deliveries_total',
      help: 'Outgoing webhook attempts by outcome: delivered, retrying, failed (given up or not retried)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: "Outgoing webhook attempts' duration (connect, answer, body) by outcome",
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers,
    });
    this.commitToDelivery = new Histogram({
      name: 'webhook_commit_to_delivery_seconds',
      help: "From an event's fan-out to an endpoint to its delivered attempt (first-attempt deliveries)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.endpointsDisabled = new Counter({
      name: 'webhook_endpoints_disabled_total',
      help: 'Webhook endpoints the delivery worker disabled: gone (410) or failing (every attempt for days)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.oldestPending = new Gauge({
      name: 'webhook_oldest_pending_seconds',
      help: 'Per endpoint, the age of its oldest message not yet delivered (filled on scrape)',
      labelNames: ['endpoint'] as const,
      registers,
    });
  }

  /** The backlog gauge from the database, per endpoint (endpoints with nothing pending drop out). */
  applyBacklog(rows: readonly { endpointId: string; ageSeconds: number }[]): void {
    this.oldestPending.reset();
    for (const r of rows) this.oldestPending.set({ endpoint: r.endpointId }, r.ageSeconds);
  }
}
