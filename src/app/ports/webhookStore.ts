/** What arrived from a provider, byte for byte, and the headers its signature needs. */
export interface RawWebhook {
  body: string;
  headers: Record<string, string>;
}

/** A stored provider event, as `escrow webhooks failed` lists it. */
export interface StoredWebhook {
  provider: string;
  eventId: string;
  type: string;
  escrowId: string | null;
  payload: unknown;
  /** Null for an event stored before raw bytes were kept (it cannot be verified again). */
  raw: RawWebhook | null;
  attempts: number;
  lastError: string | null;
  outcome: string | null;
  receivedAt: string;
  processedAt: string | null;
}

export interface WebhookSelection {
  provider?: string;
  eventId?: string;
  /** Received at or after (ISO time). */
  since?: string;
  limit: number;
}

export interface WebhookStore {
  /** Stores the event as processed without a command (e.g. an unsupported type), with its raw bytes. */
  recordProcessed(
    provider: string,
    eventId: string,
    type: string,
    payload: unknown,
    outcome: string,
    raw: RawWebhook | null,
    escrowId?: string | null,
  ): Promise<void>;
  /**
   * Stores the event unprocessed with its error and raw bytes, for the provider's retry or `webhooks reprocess`;
   * with the escrow it was for when that is known (`escrow show` lists it), and stays null for an escrow that does not exist.
   */
  recordFailure(
    provider: string,
    eventId: string,
    type: string,
    payload: unknown,
    error: string,
    raw: RawWebhook | null,
    escrowId?: string | null,
  ): Promise<void>;
  /** Events not processed (failed), oldest first. */
  unprocessed(selection: WebhookSelection): Promise<StoredWebhook[]>;
  find(provider: string, eventId: string): Promise<StoredWebhook | null>;
}
