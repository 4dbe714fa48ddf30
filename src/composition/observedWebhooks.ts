import type { Logger } from 'pino';
import type { WebhookIntake } from '../app/ports/index.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Every webhook in (a provider's call, the sandbox's pay button, the CLI) counted by provider and outcome; one that
 * is refused or fails is logged (the runbooks grep for "webhook").
 */
export function observedWebhooks(intake: WebhookIntake, metrics: Metrics, logger: Logger): WebhookIntake {
  return {
    receive: async (provider, rawBody, headers) => {
      try {
        const out = await intake.receive(provider, rawBody, headers);
        metrics.webhookEvents.inc({ provider, outcome: out.status });
        if (out.status === 'failed') {
          logger.warn({ provider, error: out.error }, 'webhook not processed (stored unprocessed for a retry)');
        }
        return out;
      } catch (err) {
        metrics.webhookEvents.inc({ provider, outcome: 'rejected' });
        logger.warn({ provider, error: err instanceof Error ? err.message : String(err) }, 'webhook rejected');
        throw err;
      }
    },
  };
}
