export const RAILS = ['SANDBOX', 'STRIPE', 'USDC_BASE', 'PAYSTACK'] as const;
export type Rail = (typeof RAILS)[number];

export const STATUSES = [
  'AWAIT_FUNDS',
  'FUNDS_HELD',
  'DELIVERED',
  'DISPUTED',
  'RELEASED',
  'REFUNDED',
  'CANCELLED',
] as const;
export type EscrowStatus = (typeof STATUSES)[number];
export const TERMINAL: ReadonlySet<EscrowStatus> = new Set(['RELEASED', 'REFUNDED', 'CANCELLED']);

/** `system` is the engine itself: verified provider webhooks, the timeout processor, the settlement worker. */
export type Role = 'user' | 'service' | 'admin' | 'system';
export interface Actor {
  id: string;
  role: Role;
}

export type CancelReason = 'BUYER_CANCELLED' | 'SELLER_CANCELLED' | 'ADMIN' | 'TIMEOUT';
export type RefundType = 'FULL' | 'PARTIAL';
export type DisputeStatus = 'OPEN' | 'IN_REVIEW' | 'RESOLVED';
export type Resolution = 'RELEASE' | 'REFUND' | 'SPLIT';
export type SettlementKind = 'PAYOUT' | 'REFUND';
export type SettlementStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';
export type DeliveryTimeoutAction = 'REFUND' | 'RELEASE';

export interface PaymentInstructions {
  reference: string;
  payUrl?: string;
  clientSecret?: string;
  depositAddress?: string;
}

export interface Delivery {
  id: string;
  title: string;
  description: string | null;
  evidence: string[];
  deliveredBy: string;
  createdAt: string;
}

export interface Dispute {
  id: string;
  openedBy: string;
  reason: string;
  description: string | null;
  evidence: string[];
  status: DisputeStatus;
  reviewerId: string | null;
  resolution: Resolution | null;
  buyerAmount: bigint | null;
  resolutionReason: string | null;
  createdAt: string;
  resolvedAt: string | null;
}

export interface Settlement {
  id: string;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  status: SettlementStatus;
  providerReference: string | null;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
}

/** Why a payment funds nothing: a wrong amount or currency, an escrow past funding, or a second payment. */
export type SuspenseReason =
  'AMOUNT_MISMATCH' | 'CURRENCY_MISMATCH' | 'ESCROW_CANCELLED' | 'ESCROW_EXPIRED' | 'DUPLICATE_PAYMENT';
export type SuspenseStatus = 'OPEN' | 'REFUNDED' | 'APPLIED';

/**
 * Money received for this escrow that funds nothing, held in the suspense account until an admin refunds it to the
 * buyer (through a REFUND settlement) or applies it to the escrow.
 */
export interface SuspenseItem {
  id: string;
  amount: bigint;
  currency: string;
  transactionId: string;
  providerEventId: string | null;
  source: 'WEBHOOK' | 'MANUAL';
  reason: SuspenseReason;
  status: SuspenseStatus;
  receivedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolutionReason: string | null;
  /** The REFUND settlement that returns it to the buyer. */
  settlementId: string | null;
}

/** The escrow aggregate: the row plus its deliveries, disputes, settlements and suspense. Amounts are minor units. */
export interface Escrow {
  id: string;
  offerId: string;
  contractId: string | null;
  buyerId: string;
  sellerId: string;
  rail: Rail;
  currency: string;
  amount: bigint;
  buyerFee: bigint;
  sellerFee: bigint;
  status: EscrowStatus;
  version: number;
  expiresAt: string;
  autoRefundAt: string | null;
  metadata: Record<string, unknown>;
  payment: PaymentInstructions;
  /** What the buyer paid into holding: amount + buyerFee once funded, else 0. */
  fundedAmount: bigint;
  /** Decided amounts out of holding: to the seller, back to the buyer, to the platform. */
  releasedAmount: bigint;
  refundedAmount: bigint;
  feeAmount: bigint;
  fundingTransactionId: string | null;
  refundType: RefundType | null;
  cancelReason: CancelReason | null;
  flaggedForReview: boolean;
  createdAt: string;
  updatedAt: string;
  deliveries: Delivery[];
  disputes: Dispute[];
  settlements: Settlement[];
  suspense: SuspenseItem[];
}
