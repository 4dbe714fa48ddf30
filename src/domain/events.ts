import type {
  CancelReason,
  DisputeStatus,
  EscrowStatus,
  FileRef,
  VaultKind,
  PaymentInstructions,
  Rail,
  RefundType,
  Resolution,
  SettlementKind,
  SuspenseReason,
} from './types.js';

/** Amounts inside events are digit strings (minor units), exactly as they travel on the wire. */
export type Minor = string;

export interface SettlementData {
  id: string;
  kind: SettlementKind;
  amount: Minor;
  currency: string;
  beneficiaryId: string;
}

export type ReleaseTrigger = 'BUYER_CONFIRMED' | 'ADMIN' | 'TIMEOUT' | 'DISPUTE';

export interface MilestoneData {
  milestoneId: string;
  position: number;
  title: string;
  amount: Minor;
  /** Its fixed shares of the escrow's fees (milestoneShares): they add up to the escrow's fees exactly. */
  buyerFee: Minor;
  sellerFee: Minor;
  dueAt: string | null;
}

/**
 * One milestone's money leaving holding: `sellerAmount` to the seller, `buyerAmount` back to the buyer, `feeAmount`
 * to the platform, with the settlements that pay them. `escrowStatus` is the escrow's status after it (RELEASED or
 * REFUNDED once every milestone is settled) and `autoRefundAt` the escrow's next confirmation deadline.
 */
export interface MilestoneOutcome {
  milestoneId: string;
  trigger: ReleaseTrigger | RefundTrigger;
  reason: string | null;
  sellerAmount: Minor;
  buyerAmount: Minor;
  feeAmount: Minor;
  settlements: SettlementData[];
  escrowStatus: EscrowStatus;
  refundType: RefundType | null;
  autoRefundAt: string | null;
}

/**
 * One milestone's part of an escrow-wide release, refund or ruling (EscrowReleased / EscrowRefunded `milestones`):
 * what that unsettled milestone paid out. Over the milestones they add up to the event's amounts exactly; events
 * written before they were recorded carry none (their milestones keep zero amounts).
 */
export interface MilestoneSplitData {
  milestoneId: string;
  buyerAmount: Minor;
  sellerAmount: Minor;
  feeAmount: Minor;
}
export type RefundTrigger = 'ADMIN' | 'SELLER' | 'TIMEOUT' | 'DISPUTE' | 'RISK';

export type EventPayload =
  | {
      type: 'EscrowCreated';
      data: {
        offerId: string;
        contractId: string | null;
        buyerId: string;
        sellerId: string;
        rail: Rail;
        currency: string;
        amount: Minor;
        buyerFee: Minor;
        sellerFee: Minor;
        expiresAt: string;
        metadata: Record<string, unknown>;
        payment: PaymentInstructions;
      };
    }
  | {
      type: 'EscrowFundsHeld';
      data: {
        amount: Minor;
        currency: string;
        transactionId: string;
        source: 'WEBHOOK' | 'MANUAL';
        providerEventId: string | null;
        evidence: string | null;
      };
    }
  | {
      type: 'PaymentMismatchRecorded';
      data: {
        expectedAmount: Minor;
        expectedCurrency: string;
        paidAmount: Minor;
        paidCurrency: string;
        transactionId: string;
        providerEventId: string | null;
      };
    }
  | { type: 'PaymentFailed'; data: { transactionId: string | null; providerEventId: string | null; reason: string } }
  | { type: 'EscrowCancelled'; data: { reason: CancelReason; note: string | null } }
  | {
      type: 'EscrowDelivered';
      data: {
        deliveryId: string;
        title: string;
        description: string | null;
        evidence: string[];
        files: FileRef[];
        autoRefundAt: string;
      };
    }
  | { type: 'DeliveryConfirmed'; data: { confirmedBy: string } }
  | {
      type: 'EscrowReleased';
      data: {
        trigger: ReleaseTrigger;
        reason: string | null;
        sellerAmount: Minor;
        feeAmount: Minor;
        settlements: SettlementData[];
        /** A milestone escrow: each milestone it settles, with its part of the amounts. */
        milestones?: MilestoneSplitData[];
      };
    }
  | {
      type: 'EscrowRefunded';
      data: {
        trigger: RefundTrigger;
        refundType: RefundType;
        reason: string | null;
        buyerAmount: Minor;
        sellerAmount: Minor;
        feeAmount: Minor;
        settlements: SettlementData[];
        /** A milestone escrow: each milestone it settles, with its part of the amounts. */
        milestones?: MilestoneSplitData[];
      };
    }
  | {
      type: 'DisputeOpened';
      data: {
        disputeId: string;
        milestoneId: string | null;
        reason: string;
        description: string | null;
        evidence: string[];
        files: FileRef[];
        respondBy: string;
        slaDueAt: string;
        /** A milestone's dispute: the escrow's confirmation deadline after it (that milestone no longer counts). */
        autoRefundAt?: string | null;
      };
    }
  | {
      type: 'DisputeEvidenceAdded';
      data: { disputeId: string; statement: string | null; evidence: string[]; files: FileRef[] };
    }
  | { type: 'DisputeReviewStarted'; data: { disputeId: string; reviewerId: string } }
  | {
      type: 'DisputeResolved';
      data: {
        disputeId: string;
        resolution: Resolution;
        buyerAmount: Minor | null;
        reason: string;
        status: Extract<DisputeStatus, 'RESOLVED'>;
      };
    }
  | {
      type: 'SettlementSucceeded';
      data: { settlementId: string; kind: SettlementKind; amount: Minor; providerReference: string | null };
    }
  | { type: 'SettlementFailed'; data: { settlementId: string; kind: SettlementKind; amount: Minor; reason: string } }
  | { type: 'SettlementRetried'; data: { settlementId: string } }
  | { type: 'EscrowFlaggedForReview'; data: { reason: string; detail: string | null } }
  | {
      /** Money received that funds nothing: external → suspense, in the currency received. */
      type: 'SuspenseBooked';
      data: {
        suspenseId: string;
        amount: Minor;
        currency: string;
        transactionId: string;
        providerEventId: string | null;
        source: 'WEBHOOK' | 'MANUAL';
        reason: SuspenseReason;
      };
    }
  | {
      /** Suspense → buyer refundable, paid out by the REFUND settlement it creates. */
      type: 'SuspenseRefunded';
      data: { suspenseId: string; amount: Minor; currency: string; reason: string; settlement: SettlementData };
    }
  | {
      /** Suspense → holding: the items fund the escrow (their sum is what the buyer owes). */
      type: 'SuspenseApplied';
      data: { suspenseIds: string[]; amount: Minor; currency: string; transactionId: string; reason: string };
    }
  | { type: 'ReviewFlagCleared'; data: { reason: string } }
  | { type: 'MilestonesDefined'; data: { milestones: MilestoneData[] } }
  | {
      type: 'MilestoneDelivered';
      data: {
        milestoneId: string;
        deliveryId: string;
        title: string;
        description: string | null;
        evidence: string[];
        files: FileRef[];
        confirmBy: string;
        autoRefundAt: string | null;
      };
    }
  /** A milestone's share paid to the seller (less its seller fee share). */
  | { type: 'MilestoneReleased'; data: MilestoneOutcome }
  /** A milestone's share returned to the buyer, in full or split with the seller (a dispute's ruling). */
  | { type: 'MilestoneRefunded'; data: MilestoneOutcome }
  /** The seller's secret deliverable was sealed into the vault (never its content: what it is and its fingerprint). */
  | { type: 'VaultSet'; data: { kind: VaultKind; file: FileRef | null; fingerprint: string; revision: number } }
  /** The buyer saw the vault's content (every reveal is one event: who and when). */
  | { type: 'VaultRevealed'; data: { fingerprint: string; revealCount: number } };

export type EventType = EventPayload['type'];

/** A domain event as decide() emits it: the payload plus who caused it and when. */
export type DomainEvent = EventPayload & { occurredAt: string; actorId: string };

/** Every event type, at run time (outgoing webhook endpoints subscribe by type); the compiler keeps it complete. */
const EVENT_TYPE_NAMES = {
  EscrowCreated: true,
  EscrowFundsHeld: true,
  PaymentMismatchRecorded: true,
  PaymentFailed: true,
  EscrowCancelled: true,
  EscrowDelivered: true,
  DeliveryConfirmed: true,
  EscrowReleased: true,
  EscrowRefunded: true,
  DisputeOpened: true,
  DisputeEvidenceAdded: true,
  DisputeReviewStarted: true,
  DisputeResolved: true,
  SettlementSucceeded: true,
  SettlementFailed: true,
  SettlementRetried: true,
  EscrowFlaggedForReview: true,
  SuspenseBooked: true,
  SuspenseRefunded: true,
  SuspenseApplied: true,
  ReviewFlagCleared: true,
  MilestonesDefined: true,
  MilestoneDelivered: true,
  MilestoneReleased: true,
  MilestoneRefunded: true,
  VaultSet: true,
  VaultRevealed: true,
} satisfies Record<EventPayload['type'], true>;

export const EVENT_TYPES = Object.keys(EVENT_TYPE_NAMES) as EventPayload['type'][];
