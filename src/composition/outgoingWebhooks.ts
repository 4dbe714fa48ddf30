import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import { SqlWebhookDeliveryStore } from '../adapters/db/webhookDeliveryStore.js';
import { SqlWebhookEndpointStore } from '../adapters/db/webhookEndpointStore.js';
import { HttpWebhookSender, HttpWebhookUrlGuard } from '../adapters/webhooks/httpSender.js';
import type { Clock } from '../app/ports/index.js';
import type { ProcessInstance } from '../app/ports/heartbeatStore.js';
import { WebhookEndpointService } from '../app/webhookEndpoints.js';
import type { Config } from '../config/index.js';
import type { Metrics } from '../observability/metrics.js';
import { WebhookDispatcher } from '../workers/webhookDispatcher.js';
import { VERSION } from './version.js';

/** Outgoing webhooks (issue 14): the endpoints' service (API, CLI) and the `webhooks` role's dispatcher. */
export function createOutgoingWebhooks(deps: {
  config: Config;
  db: Database;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  instance: ProcessInstance;
}) {
  const { config, db, clock, logger, metrics, instance } = deps;
  const allowPrivate = config.webhooks.allowPrivate;
  const deliveries = new SqlWebhookDeliveryStore(db);
  deliveries.onRebase = () =>
    logger.error(
      'webhooks cursor was ahead of this database (restored from a dump?): rebased onto what was not fanned out; ' +
        'check each endpoint and `escrow webhook-endpoints recover` the time around the restore',
    );
  return {
    webhookEndpoints: new WebhookEndpointService({
      store: new SqlWebhookEndpointStore(db),
      guard: new HttpWebhookUrlGuard({ allowPrivate }),
      clock,
    }),
    webhookDispatcher: new WebhookDispatcher({
      store: deliveries,
      sender: new HttpWebhookSender({ allowPrivate }),
      config: config.webhooks,
      owner: instance.instanceId,
      userAgent: `escrow-services/${VERSION} (+https://www.standardwebhooks.com)`,
      logger: logger.child({ worker: 'webhooks' }),
      metrics: metrics.webhooks,
    }),
    webhookBacklog: () => deliveries.oldestPending(),
  };
}
