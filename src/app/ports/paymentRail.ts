import type { PaymentInstructions, Rail, SettlementKind } from '../../domain/index.js';

/**
 * A settlement's reference at the provider is its idempotency key: the settlement id on the first round, and
 * `<id>-r<n>` after the n-th admin retry — a provider that keeps a failed transfer or refund under its reference
 * (Paystack, the custodian) would otherwise answer the old failure to every retry. Webhooks name the reference; this
 * gives back our settlement id.
 */
export const settlementIdOf = (reference: string): string => reference.replace(/-r[0-9]+$/, '');

/** The idempotency key (and provider reference) of a settlement's round: 0 before any admin retry. */
export const settlementKey = (settlementId: string, round: number): string =>
  round > 0 ? `${settlementId}-r${round}` : settlementId;

/** What a rail is asked to move: a payout to the seller or a refund to the buyer, decided by the escrow. */
export interface SettlementOrder {
  settlementId: string;
  escrowId: string;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  /** The escrow's payment reference at the rail (Stripe: the PaymentIntent id; Paystack: the transaction reference). */
  paymentReference: string;
  /**
   * The provider's id of the payment that funded the escrow (Stripe: the charge, `source_transaction` of a transfer and
   * the target of a refund; Paystack: the transaction id; USDC: the deposit's transaction hash). Null when the money
   * came from suspense or a manual confirmation the rail does not know.
   */
  fundingTransactionId: string | null;
  /** A payout's destination: the seller's payout account on this rail (null for a refund, or none registered). */
  destination: string | null;
  attempt: number;
  /** The provider deduplicates on this: a retried call never moves money twice. */
  idempotencyKey: string;
}

/**
 * What became of a settlement at the provider. SUBMITTED: accepted, the final word comes later (a webhook, or the
 * worker asking again with the same idempotency key); nothing is recorded yet and no failure is counted.
 */
export type SettlementOutcome =
  | { status: 'SUCCEEDED'; providerReference: string }
  | { status: 'SUBMITTED'; providerReference: string }
  | { status: 'FAILED'; reason: string; retryable: boolean };

/** Normalised provider webhook (SPEC §6). */
export type WebhookAction =
  | {
      kind: 'payment.succeeded';
      eventId: string;
      reference: string;
      transactionId: string;
      amount: string;
      currency: string;
      /** Where the money came from, when the rail knows and it matters (USDC: the paying address, screened). */
      payer?: string;
    }
  | { kind: 'payment.failed'; eventId: string; reference: string; transactionId: string | null; reason: string }
  /** A deposit seen but not final yet (USDC: fewer confirmations than required): recorded, no effect. */
  | { kind: 'payment.pending'; eventId: string; reference: string; transactionId: string; detail: string }
  | { kind: 'settlement.succeeded'; eventId: string; settlementId: string; providerReference: string }
  | {
      kind: 'settlement.failed';
      eventId: string;
      settlementId: string;
      reason: string;
      /** The round's key the provider names (`<id>-r<n>`), when it does: a failure of an earlier round is stale. */
      settlementKey?: string;
    }
  /** Money already paid out came back or was taken back (Stripe `transfer.reversed`): the escrow is flagged. */
  | { kind: 'settlement.reversed'; eventId: string; settlementId: string; reason: string }
  /** The buyer's bank disputes the payment (Stripe `charge.dispute.created`): flagged, and disputed while held. */
  | { kind: 'payment.disputed'; eventId: string; reference: string; reason: string; amount: string; currency: string }
  | { kind: 'not_supported'; eventId: string; type: string };

/** A webhook whose signature held: the normalised action and the provider's event as parsed. */
export interface VerifiedWebhook {
  action: WebhookAction;
  payload: unknown;
}

/** A seller's payout destination on a rail, as registered by the marketplace. */
export interface PayoutAccountInput {
  sellerId: string;
  /** Stripe: a connected account `acct_…`; Paystack: a transfer recipient `RCP_…`; USDC: a wallet address. */
  accountId: string;
}

/** The provider's answer about a payout destination. */
export type PayoutAccountCheck = { ok: true; accountId: string; detail: string | null } | { ok: false; reason: string };

/** The provider's view of an escrow's payment, for reconciliation. */
export type ProviderPayment =
  | { status: 'succeeded'; transactionId: string; amount: string; currency: string; eventId: string; payer?: string }
  | { status: 'failed'; transactionId: string | null; reason: string; eventId: string }
  | { status: 'pending' | 'none'; detail: string };

/** The provider's view of a settlement, for reconciliation. */
export type ProviderSettlement =
  | { status: 'succeeded'; providerReference: string }
  | { status: 'failed'; reason: string }
  | { status: 'pending' | 'none'; detail: string };

/** Money the platform holds at the provider, per currency (treasury reconciliation). */
export interface ProviderBalance {
  currency: string;
  /** Minor units, as digit strings (may be negative at some providers). */
  available: string;
  pending: string;
}

export interface PaymentRail {
  readonly rail: Rail;
  /** The provider's name in the webhook route: POST /api/webhooks/{provider}. */
  readonly provider: string;
  /**
   * Creates payment instructions at the provider; idempotent on `idempotencyKey` (derived from the create command).
   * Never called inside a DB transaction.
   */
  createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
    idempotencyKey: string;
  }): Promise<PaymentInstructions>;
  /** Voids the payment intent of a cancelled escrow; idempotent (voiding what is void or gone is success). */
  voidPayment(input: { escrowId: string; reference: string }): Promise<void>;
  /** Moves settled money at the provider: a payout to the seller or a refund to the buyer. Idempotent per order. */
  executeSettlement(order: SettlementOrder): Promise<SettlementOutcome>;
  /**
   * Verifies the signature over the raw body and normalises the event (parsing the body once); throws
   * WebhookSignatureError or WebhookPayloadError. Asynchronous, as providers' SDKs are. With `replay` (a stored event
   * verified again by `webhooks reprocess`), the signature must still match but the timestamp tolerance does not
   * apply: it held when the event arrived.
   */
  verifyWebhook(
    rawBody: string,
    headers: Record<string, string | undefined>,
    opts?: { replay?: boolean },
  ): Promise<VerifiedWebhook>;
  /** Payouts on this rail need a payout account registered for the seller. */
  readonly needsPayoutAccount: boolean;
  /** Checks a payout destination at the provider where an API can tell (throws RailError when it cannot answer). */
  validatePayoutAccount(input: PayoutAccountInput): Promise<PayoutAccountCheck>;
  /** Reconciliation: what the provider says about the escrow's payment. */
  lookupPayment(input: { escrowId: string; reference: string }): Promise<ProviderPayment>;
  /** Reconciliation: what the provider says about a settlement (by its idempotency key / our settlement id). */
  lookupSettlement(order: SettlementOrder): Promise<ProviderSettlement>;
  /** Treasury reconciliation: the platform's balance at the provider (null when the provider has no such API). */
  platformBalance(): Promise<ProviderBalance[] | null>;
}

export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A correctly signed webhook whose body is not an event the rail understands (→ 400, nothing stored). */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}

/**
 * A provider call that failed, with what an operator needs: the provider's own error code and request id. Retryable
 * when trying again may succeed (network, timeout, 429, 5xx); never for a 4xx the provider will refuse again.
 */
export class RailError extends Error {
  override readonly name: string = 'RailError';
  constructor(
    message: string,
    readonly details: {
      provider: string;
      status: number;
      retryable: boolean;
      code?: string | null;
      requestId?: string | null;
    },
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.details.retryable;
  }
}
