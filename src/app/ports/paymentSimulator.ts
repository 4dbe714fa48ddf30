import type { WebhookOutcome } from './webhookIntake.js';

export interface SimulatedPayment {
  rawBody: string;
  headers: Record<string, string>;
  outcome: WebhookOutcome;
}

/** A rail's "the buyer pays" for development and tests: a signed provider webhook through the webhook intake. */
export interface PaymentSimulator {
  /** `target` is an escrow id or a payment reference. `amount`/`currency` override what is paid (mismatch tests). */
  pay(
    target: string,
    opts?: { outcome?: 'succeed' | 'fail'; amount?: string; currency?: string },
  ): Promise<SimulatedPayment>;
}
