import type { EventPublisher, OutboxMessage, OutboxStore } from '../app/ports/index.js';

export interface OutboxPublisherOptions {
  store: OutboxStore;
  publisher: EventPublisher;
  owner: string;
  batchSize: number;
  maxAttempts: number;
  baseDelayMs?: number;
  leaseMs?: number;
  onPublished?: (n: number) => void;
  onDeadLetter?: (m: OutboxMessage, error: string) => void;
}

/**
 * The outbox role (SPEC §4): claims committed events, hands them to the publisher (in-process subscribers or the
 * broker) and marks them published only after it returned. At-least-once; per-escrow order holds because a claim
 * never includes a message whose escrow has an earlier one in flight or backing off, and within a batch an escrow's
 * messages stop at its first failure.
 */
export class OutboxPublisher {
  constructor(private readonly o: OutboxPublisherOptions) {}

  /** Publishes one batch; returns how many were published. */
  async runOnce(): Promise<number> {
    const batch = await this.o.store.claim(this.o.batchSize, this.o.leaseMs ?? 30_000, this.o.owner);
    if (batch.length === 0) return 0;
    try {
      await this.o.publisher.publish(batch);
      await this.o.store.markPublished(batch.map((m) => m.id));
      this.o.onPublished?.(batch.length);
      return batch.length;
    } catch {
      return this.oneByOne(batch);
    }
  }

  /** After a batch failed: retry each escrow's messages in order, stopping an escrow at its first failure. */
  private async oneByOne(batch: readonly OutboxMessage[]): Promise<number> {
    const blocked = new Set<string>();
    const published: string[] = [];
    const released: string[] = [];
    for (const m of batch) {
      if (blocked.has(m.escrowId)) {
        released.push(m.id);
        continue;
      }
      try {
        await this.o.publisher.publish([m]);
        published.push(m.id);
      } catch (err) {
        blocked.add(m.escrowId);
        const error = err instanceof Error ? err.message : String(err);
        const dead = await this.o.store.markFailed(m.id, error, this.o.maxAttempts, this.o.baseDelayMs ?? 1000);
        if (dead) this.o.onDeadLetter?.(m, error);
      }
    }
    await this.o.store.markPublished(published);
    await this.o.store.release(released);
    this.o.onPublished?.(published.length);
    return published.length;
  }
}
