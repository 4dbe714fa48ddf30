import type { StoredEvent } from '../../app/ports/index.js';
import type { EventPublisher, OutboxMessage } from '../../app/ports/index.js';

export type EventSubscriber = (event: StoredEvent) => Promise<void> | void;

/**
 * Embedded mode's event bus: committed events go to in-process subscribers, in order per escrow. publish()
 * resolves only when every subscriber handled every event, so the outbox marks them published only then.
 * Subscribers must be idempotent by eventId (delivery is at least once).
 */
export class InProcessEventBus implements EventPublisher {
  private readonly subscribers: { name: string; fn: EventSubscriber }[] = [];

  subscribe(name: string, fn: EventSubscriber): () => void {
    const entry = { name, fn };
    this.subscribers.push(entry);
    return () => {
      const i = this.subscribers.indexOf(entry);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    // Escrows are independent: deliver each escrow's events sequentially, escrows concurrently.
    const byEscrow = new Map<string, OutboxMessage[]>();
    for (const m of messages) {
      const list = byEscrow.get(m.escrowId);
      if (list) list.push(m);
      else byEscrow.set(m.escrowId, [m]);
    }
    await Promise.all(
      [...byEscrow.values()].map(async (list) => {
        for (const m of list) for (const s of this.subscribers) await s.fn(m.payload);
      }),
    );
  }
}
