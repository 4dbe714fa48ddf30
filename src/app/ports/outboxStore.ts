import type { StoredEvent } from './storedEvent.js';

export interface OutboxMessage {
  id: string;
  eventId: string;
  escrowId: string;
  eventType: string;
  payload: StoredEvent;
  headers: Record<string, string>;
  attempts: number;
  createdAt: string;
}

export interface OutboxStore {
  /** Leases the next unpublished messages, never one whose escrow has an earlier message still in flight. */
  claim(limit: number, leaseMs: number, owner: string): Promise<OutboxMessage[]>;
  markPublished(ids: readonly string[]): Promise<void>;
  /** Gives leased messages back without counting an attempt (an earlier message of their escrow failed). */
  release(ids: readonly string[]): Promise<void>;
  /** Records a failed delivery with exponential backoff; dead-letters after maxAttempts. Returns true if dead. */
  markFailed(id: string, error: string, maxAttempts: number, baseDelayMs: number): Promise<boolean>;
  stats(): Promise<{ unpublished: number; oldestAgeSeconds: number; deadLetters: number }>;
}

/** A dead-lettered outbox row (it ran out of attempts), as the admin API and `escrow outbox dlq` list it. */
export interface DeadLetter {
  id: string;
  eventId: string;
  escrowId: string;
  eventType: string;
  sequence: number;
  attempts: number;
  lastError: string | null;
  deadLetteredAt: string;
}
