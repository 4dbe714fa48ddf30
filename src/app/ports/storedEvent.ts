import type { DomainEvent } from '../../domain/index.js';

/** A committed event as stored and published (SPEC §4 event envelope). */
export interface StoredEvent {
  eventId: string;
  type: DomainEvent['type'];
  escrowId: string;
  sequence: number;
  occurredAt: string;
  correlationId: string | null;
  causationId: string | null;
  actor: { id: string; role: string };
  schemaVersion: number;
  commandId: string;
  data: DomainEvent['data'];
}
