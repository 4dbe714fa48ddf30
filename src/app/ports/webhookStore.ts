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
