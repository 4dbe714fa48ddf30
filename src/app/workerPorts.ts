import type { Rail, SettlementKind } from '../domain/index.js';
import type { StoredEvent } from './ports.js';

export interface WebhookStore {
  /** Stores the raw event as processed without a command (e.g. an unsupported type). */
  recordProcessed(provider: string, eventId: string, type: string, payload: unknown, outcome: string): Promise<void>;
  /** Stores the raw event unprocessed with its error, for the provider's retry or `webhooks reprocess`. */
  recordFailure(provider: string, eventId: string, type: string, payload: unknown, error: string): Promise<void>;
  unprocessed(limit: number): Promise<
    {
      provider: string;
      eventId: string;
      type: string;
      payload: unknown;
      lastError: string | null;
      receivedAt: string;
    }[]
  >;
}

export interface ClaimedSettlement {
  id: string;
  escrowId: string;
  rail: Rail;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  paymentReference: string;
  /** Attempts so far including this one (never reset) and failures since the last admin retry. */
  attempts: number;
  failures: number;
}

export interface SettlementStore {
  /** Leases due PENDING settlements (FOR UPDATE SKIP LOCKED), counting the attempt. */
  claimDue(limit: number, leaseMs: number): Promise<ClaimedSettlement[]>;
  /** Records a failed attempt and schedules the next one after `delayMs × 2^(failures-1)`. */
  scheduleRetry(id: string, error: string, baseDelayMs: number): Promise<void>;
  /** Releases the lease without counting a failure (the result was recorded by a command). */
  release(id: string): Promise<void>;
  findEscrowOf(settlementId: string): Promise<string | null>;
  countByStatus(): Promise<Record<string, number>>;
}

export interface DueTimeout {
  escrowId: string;
  version: number;
  deadline: string;
}

export interface TimeoutStore {
  duePaymentDeadlines(now: Date, limit: number): Promise<DueTimeout[]>;
  dueConfirmationDeadlines(now: Date, limit: number): Promise<DueTimeout[]>;
  /** The earliest future deadline, to wake up then instead of waiting for the next poll. */
  nextDeadline(includeConfirmation: boolean): Promise<Date | null>;
}

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

/** Where the outbox publisher hands committed events: in-process subscribers (embedded) or Kafka. */
export interface EventPublisher {
  /** Resolves only once every message was handled/acknowledged; messages of one escrow arrive in order. */
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}
