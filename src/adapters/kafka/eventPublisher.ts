import type { Producer } from 'kafkajs';
import type { EventPublisher, OutboxMessage } from '../../app/ports/index.js';
import { produce } from './client.js';

/**
 * The outbox's Kafka side (SPEC §4): events to KAFKA_EVENTS_TOPIC, key = escrow id (one partition per escrow, so its
 * order holds), headers event-id, event-type, aggregate-id, correlation-id. `publish` resolves only once every broker
 * in the ISR acknowledged (acks = -1); the outbox marks rows published only then.
 */
export class KafkaEventPublisher implements EventPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await produce(this.producer, {
      topic: this.topic,
      messages: messages.map((m) => ({
        key: m.escrowId,
        value: JSON.stringify(m.payload),
        headers: m.headers, // event-id, event-type, aggregate-id, correlation-id (SqlOutboxStore.claim)
      })),
    });
  }

  /** A dead-lettered outbox row, copied to `<topic>.dlq` with its error (the database keeps the row too). */
  async deadLetter(m: OutboxMessage, error: string): Promise<void> {
    await produce(this.producer, {
      topic: `${this.topic}.dlq`,
      messages: [
        {
          key: m.escrowId,
          value: JSON.stringify(m.payload),
          headers: {
            ...m.headers,
            error: error.slice(0, 1000),
            attempts: String(m.attempts),
          },
        },
      ],
    });
  }
}
