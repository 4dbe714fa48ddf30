import type { OutboxMessage } from './outboxStore.js';

/** Where the outbox publisher hands committed events: in-process subscribers (embedded) or Kafka. */
export interface EventPublisher {
  /** Resolves only once every message was handled/acknowledged; messages of one escrow arrive in order. */
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}
