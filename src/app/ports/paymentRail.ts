import type { PaymentInstructions, Rail, SettlementKind } from '../../domain/index.js';

export interface SettlementOrder {
  settlementId: string;
  escrowId: string;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  paymentReference: string;
  attempt: number;
  /** The provider deduplicates on this: a retried call never moves money twice. */
  idempotencyKey: string;
}

export type SettlementOutcome =
  { status: 'SUCCEEDED'; providerReference: string } | { status: 'FAILED'; reason: string; retryable: boolean };

/** Normalised provider webhook (SPEC §6). */
export type WebhookAction =
  | {
      kind: 'payment.succeeded';
      eventId: string;
      reference: string;
      transactionId: string;
      amount: string;
      currency: string;
    }
  | { kind: 'payment.failed'; eventId: string; reference: string; transactionId: string | null; reason: string }
  | { kind: 'settlement.succeeded'; eventId: string; settlementId: string; providerReference: string }
  | { kind: 'settlement.failed'; eventId: string; settlementId: string; reason: string }
  | { kind: 'not_supported'; eventId: string; type: string };

/** A webhook whose signature held: the normalised action and the provider's event as parsed (stored raw). */
export interface VerifiedWebhook {
  action: WebhookAction;
  payload: unknown;
}

export interface PaymentRail {
  readonly rail: Rail;
  /** The provider's name in the webhook route: POST /api/webhooks/{provider}. */
  readonly provider: string;
  /** Creates payment instructions at the provider; idempotent on escrowId. Never called inside a DB transaction. */
  createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
  }): Promise<PaymentInstructions>;
  /** Voids the payment intent of a cancelled escrow; idempotent. */
  voidPayment(input: { escrowId: string; reference: string }): Promise<void>;
  /** Moves settled money at the provider: a payout to the seller or a refund to the buyer. */
  executeSettlement(order: SettlementOrder): Promise<SettlementOutcome>;
  /**
   * Verifies the signature over the raw body and normalises the event (parsing the body once); throws
   * WebhookSignatureError or WebhookPayloadError. Asynchronous, as providers' SDKs are.
   */
  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): Promise<VerifiedWebhook>;
}

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A correctly signed webhook whose body is not an event the rail understands (→ 400, nothing stored). */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}
