import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { InProcessEventBus, type EventSubscriber } from '../adapters/events/inProcessBus.js';
import type { Reaction } from '../app/reactions/index.js';
import type { Config } from '../config/index.js';
import type { Metrics } from '../observability/metrics.js';
import { OutboxPublisher } from '../workers/outboxPublisher.js';
import type { KafkaRuntime } from './kafka.js';
import type { Stores } from './stores.js';

/**
 * Event delivery: the outbox hands committed events to the in-process bus (embedded), or to the events topic and then
 * the bus (Kafka mode). The application's reactions subscribe to the bus.
 */
export function createEventDelivery(deps: {
  config: Config;
  logger: Logger;
  stores: Stores;
  kafka: KafkaRuntime | null;
  metrics: Metrics;
  reactions: readonly Reaction[];
}) {
  const { config, logger, kafka, metrics } = deps;
  // embedded: the bus is the publication (a subscriber's failure is the outbox's to retry); Kafka: the topic is
  const bus = kafka ? new AfterAckBus(logger) : new InProcessEventBus();
  for (const r of deps.reactions) bus.subscribe(r.name, (e) => r.handle(e));
  const observers: ((delaysMs: number[]) => void)[] = [];
  const kafkaEvents = kafka?.eventPublisher(bus, (d) => observers.forEach((o) => o(d))) ?? null;
  const outbox = new OutboxPublisher({
    store: deps.stores.outbox,
    publisher: kafkaEvents ?? bus,
    owner: `${hostname()}:${process.pid}`,
    batchSize: config.outbox.batchSize,
    maxAttempts: config.outbox.maxAttempts,
    onPublished: (n) => metrics.outboxPublished.inc(n),
    onDeadLetter: (m, error) => {
      metrics.outboxDeadLetters.inc();
      logger.error({ escrow_id: m.escrowId, event_id: m.eventId, error }, 'outbox dead letter');
      kafkaEvents
        ?.deadLetter(m, error)
        .catch((err: unknown) =>
          logger.error({ err, event_id: m.eventId }, 'could not copy the dead letter to the DLQ'),
        );
    },
  });
  return {
    bus,
    outbox,
    onOutboxPublished: (fn: (delaysMs: number[]) => void) => void observers.push(fn),
    /** Kafka mode: in-process subscriber failures that outlasted their retries. */
    subscriberFailures: () => (bus instanceof AfterAckBus ? bus.failures : 0),
  };
}

/** The pauses before an in-process subscriber is tried again on one event, in Kafka mode. */
const SUBSCRIBER_RETRY_DELAYS_MS = [50, 200, 800];

/**
 * Kafka mode's bus: its subscribers (the reactions) see events the broker already acknowledged. Such an event is
 * published (its outbox row is marked so) whatever a subscriber does: each subscriber is retried on its own, a few
 * times, and a failure that remains is logged and counted — never thrown, or the outbox would send the event again
 * and, after its attempts, dead-letter an event that is on the topic. Subscribers are idempotent by event id.
 */
class AfterAckBus extends InProcessEventBus {
  failures = 0;

  constructor(private readonly logger: Logger) {
    super();
  }

  override subscribe(name: string, fn: EventSubscriber): () => void {
    return super.subscribe(name, async (event) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(event);
        } catch (err) {
          const delay = SUBSCRIBER_RETRY_DELAYS_MS[attempt];
          const fields = { err, subscriber: name, event_id: event.eventId, escrow_id: event.escrowId };
          if (delay === undefined) {
            this.failures++;
            this.logger.error(
              { ...fields, attempts: attempt + 1 },
              'event subscriber failed; the event stays published',
            );
            return;
          }
          this.logger.warn({ ...fields, attempt: attempt + 1 }, 'event subscriber failed; retrying it');
          await sleep(delay);
        }
      }
    });
  }
}
