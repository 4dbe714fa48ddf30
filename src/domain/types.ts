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

/**
 * A stored file an event cites (delivery or dispute evidence, a contract, a vault deliverable): its id and the
 * SHA-256 of its content as uploaded, so a file changed in the store afterwards no longer matches its event.
 */
export interface FileRef {
  fileId: string;
  sha256: string;
  fileName: string;
}

export interface Delivery {
  id: string;
  /** The milestone this delivery is for; null for the escrow as a whole. */
  milestoneId: string | null;
  title: string;
  description: string | null;
  evidence: string[];
  files: FileRef[];
  deliveredBy: string;
  createdAt: string;
}

export type MilestoneStatus = 'PENDING' | 'DELIVERED' | 'DISPUTED' | 'RELEASED' | 'REFUNDED';

/**
 * One part of a milestone escrow (SPEC §3.2): its share of the amount and, fixed when the milestones are defined, its
 * shares of the buyer and seller fees (see milestoneShares). Decided amounts stay 0 until it is released or refunded.
 */
export interface Milestone {
  id: string;
  /** 1-based order as defined. */
  position: number;
  title: string;
  amount: bigint;
  buyerFee: bigint;
  sellerFee: bigint;
  /** When the seller means to deliver it (informational). */
  dueAt: string | null;
  status: MilestoneStatus;
  deliveredAt: string | null;
  /** The buyer's confirmation deadline once delivered: past it, the delivered-timeout policy applies. */
  confirmBy: string | null;
  sellerAmount: bigint;
  buyerAmount: bigint;
  feeAmount: bigint;
  resolvedAt: string | null;
}

export type VaultKind = 'CREDENTIALS' | 'LICENSE_KEY' | 'FILE' | 'OTHER';

/**
 * The escrow's secret deliverable as the aggregate knows it: never its content (that is sealed in the vault store,
 * out of events, outbox and audit), only what it is, when it was set and who revealed it when.
 */
export interface VaultState {
  kind: VaultKind;
  /** A file the deliverable refers to (its content stays in the file store). */
  file: FileRef | null;
  /** SHA-256 of the sealed secret: which version a reveal showed, without anything about the content. */
  fingerprint: string;
  revision: number;
  setBy: string;
  setAt: string;
  firstRevealedAt: string | null;
  revealCount: number;
}

/** Evidence a party added to a dispute after it was opened (the other side's answer, or more of the opener's). */
export interface DisputeSubmission {
  by: string;
  statement: string | null;
  evidence: string[];
  files: FileRef[];
  at: string;
}

export interface Dispute {
  id: string;
  /** The milestone in dispute (the others go on); null when the dispute is about the whole escrow. */
  milestoneId: string | null;
  openedBy: string;
  reason: string;
  description: string | null;
  evidence: string[];
  files: FileRef[];
  /** When the other party's answer is due. */
  respondBy: string;
  /** When the admins' ruling is due (DISPUTE_SLA_DAYS after opening). */
  slaDueAt: string;
  submissions: DisputeSubmission[];
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
  /** Empty unless this is a milestone escrow. */
  milestones: Milestone[];
  vault: VaultState | null;
}
