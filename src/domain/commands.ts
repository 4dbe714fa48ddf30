import type { FeeSchedule } from './fees.js';
import type {
  Actor,
  DeliveryTimeoutAction,
  FileRef,
  PaymentInstructions,
  Rail,
  Resolution,
  VaultKind,
} from './types.js';

/** A milestone as a caller defines it: amount a digit string, `dueAt` an optional ISO time. */
export interface MilestoneInput {
  title: string;
  amount: string;
  dueAt?: string | null;
}

/**
 * The parties' KYC tiers as the caller vouches for them (the caller's own from its token; a service caller's from the
 * body); a tier left out is unknown. Only looked at when KYC gating applies to the escrow's currency and amount.
 */
export interface KycTiers {
  buyer?: number;
  seller?: number;
}

/**
 * Commands as the decider sees them. Amounts arrive as digit strings (untrusted input) and are parsed by decide(),
 * so a malformed amount is a typed error, whatever the caller.
 */
export type EscrowCommand =
  | {
      type: 'CreateEscrow';
      offerId: string;
      contractId?: string | null;
      buyerId: string;
      sellerId: string;
      rail: Rail;
      currency: string;
      amount: string;
      buyerFee?: string;
      sellerFee?: string;
      metadata?: Record<string, unknown>;
      milestones?: MilestoneInput[];
      kyc?: KycTiers;
      /** The rail's instructions; absent when the command path obtains them after deciding (decideCreation). */
      payment?: PaymentInstructions;
    }
  | { type: 'CancelEscrow'; reason?: string }
  | { type: 'ConfirmPayment'; transactionId: string; evidence: string; amount: string; currency: string }
  | {
      type: 'ReceivePayment';
      providerEventId: string;
      transactionId: string;
      amount: string;
      currency: string;
      /** The paying address's risk screen (USDC): REJECT refunds the payment, REVIEW funds it flagged. */
      screening?: PaymentScreening;
    }
  | { type: 'RecordPaymentFailure'; providerEventId: string; transactionId?: string; reason: string }
  | { type: 'MarkDelivered'; title: string; description?: string; evidence?: string[]; files?: FileRef[] }
  | { type: 'ConfirmDelivery' }
  | { type: 'ReleaseEscrow'; reason?: string }
  | { type: 'RefundEscrow'; refundAmount?: string; reason: string }
  | {
      type: 'OpenDispute';
      reason: string;
      description?: string;
      evidence?: string[];
      files?: FileRef[];
      /** Dispute one milestone (the others go on); absent: the whole escrow. */
      milestoneId?: string;
    }
  | { type: 'AddDisputeEvidence'; disputeId: string; statement?: string; evidence?: string[]; files?: FileRef[] }
  | { type: 'StartDisputeReview'; disputeId: string }
  | { type: 'ResolveDispute'; disputeId: string; resolution: Resolution; buyerAmount?: string; reason: string }
  | { type: 'ExpireEscrow' }
  | { type: 'ApplyDeliveryTimeout'; action: DeliveryTimeoutAction }
  | {
      type: 'RecordSettlementResult';
      settlementId: string;
      outcome: 'SUCCEEDED' | 'FAILED';
      providerReference?: string;
      reason?: string;
    }
  | { type: 'RetrySettlement'; settlementId: string }
  | { type: 'RefundSuspense'; suspenseId: string; reason: string }
  | { type: 'ApplySuspense'; suspenseIds: string[]; reason: string }
  | { type: 'ClearReviewFlag'; reason: string }
  /** The buyer's bank disputes the card payment (a chargeback): flagged, and put in dispute while the money is held. */
  | { type: 'RecordChargeback'; providerEventId: string; reason: string; amount: string; currency: string }
  /** Something an operator must look at (e.g. a payout the provider reversed): flagged for review. */
  | { type: 'FlagEscrow'; reason: string; detail: string }
  | { type: 'DefineMilestones'; milestones: MilestoneInput[] }
  | {
      type: 'DeliverMilestone';
      milestoneId: string;
      title: string;
      description?: string;
      evidence?: string[];
      files?: FileRef[];
    }
  | { type: 'ReleaseMilestone'; milestoneId: string; reason?: string }
  /**
   * The seller seals a secret deliverable. The command carries only its fingerprint (SHA-256 of the sealed form):
   * the sealed secret travels beside the command to the vault store, never in the payload, events or audit.
   */
  | { type: 'SetVault'; kind: VaultKind; fingerprint: string; file?: FileRef }
  | { type: 'RevealVault' };

/** A risk screen's answer about the address a payment came from. */
export interface PaymentScreening {
  verdict: 'PASS' | 'REVIEW' | 'REJECT';
  screener: string;
  score: number | null;
  detail: string;
}

export type CommandType = EscrowCommand['type'];

export const COMMAND_TYPES: readonly CommandType[] = [
  'CreateEscrow',
  'CancelEscrow',
  'ConfirmPayment',
  'ReceivePayment',
  'RecordPaymentFailure',
  'MarkDelivered',
  'ConfirmDelivery',
  'ReleaseEscrow',
  'RefundEscrow',
  'OpenDispute',
  'StartDisputeReview',
  'ResolveDispute',
  'ExpireEscrow',
  'ApplyDeliveryTimeout',
  'RecordSettlementResult',
  'RetrySettlement',
  'RefundSuspense',
  'ApplySuspense',
  'ClearReviewFlag',
  'RecordChargeback',
  'FlagEscrow',
  'AddDisputeEvidence',
  'DefineMilestones',
  'DeliverMilestone',
  'ReleaseMilestone',
  'SetVault',
  'RevealVault',
];

export interface EscrowPolicy {
  paymentDeadlineDays: number;
  autoRefundDeadlineDays: number;
  fees: FeeSchedule;
  /** Currencies each rail accepts. */
  railCurrencies: Readonly<Record<Rail, readonly string[]>>;
  currencyExponents: Readonly<Record<string, number>>;
  /** What one escrow may charge the buyer per rail and currency; a pair not listed has only the engine's range. */
  railLimits: RailLimits;
  /** FEATURE_MILESTONE_ESCROWS: whether escrows may be paid out in milestones. */
  milestones: boolean;
  /** KYC gating: escrows whose amount exceeds the currency's threshold need both parties at tier ≥ 1. */
  kyc: KycPolicy;
  /** Dispute deadlines: the other party's answer (days) and the admins' ruling (DISPUTE_SLA_DAYS). */
  disputeRespondDays: number;
  disputeSlaDays: number;
  /** Whether the buyer's first look into the vault starts the confirmation window (as a delivery would). */
  vaultRevealStartsConfirmation: boolean;
}

export interface KycPolicy {
  enabled: boolean;
  /** Per currency, in minor units: escrows with an amount above it are gated. A currency not listed is not gated. */
  thresholds: Readonly<Record<string, bigint>>;
  /** The tier both parties need (1). */
  minimumTier: number;
}

/**
 * The range a rail takes for one currency, in minor units, applied to what the buyer pays (amount + buyer fee: the
 * sum the rail charges). `max` null: no upper limit beyond the engine's MAX_MINOR.
 */
export interface AmountRange {
  min: bigint;
  max: bigint | null;
}

export type RailLimits = Readonly<Record<Rail, Readonly<Record<string, AmountRange>>>>;

/** Everything decide() needs besides the state and the command: time, caller, policy and a deterministic id source. */
export interface DecideContext {
  now: string;
  actor: Actor;
  policy: EscrowPolicy;
  /** Deterministic ids derived from the command id, so a retried command yields the same ids. */
  newId: (purpose: string) => string;
}
