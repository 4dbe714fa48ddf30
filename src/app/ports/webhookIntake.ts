export type WebhookOutcome =
  | { status: 'processed'; outcome: string; escrowId: string | null }
  | { status: 'duplicate' }
  | { status: 'failed'; error: string };

/** Where a provider's webhook goes in: verified over the raw body, stored, deduplicated and applied. */
export interface WebhookIntake {
  /** Throws WebhookSignatureError / WebhookPayloadError, or DomainError VALIDATION_ERROR for a provider not enabled. */
  receive(provider: string, rawBody: string, headers: Record<string, string | undefined>): Promise<WebhookOutcome>;
}
