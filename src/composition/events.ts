import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { InProcessEventBus } from '../adapters/events/inProcessBus.js';
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
  const bus = new InProcessEventBus();
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
  return { bus, outbox, onOutboxPublished: (fn: (delaysMs: number[]) => void) => void observers.push(fn) };
}
