import type {
  CancelReason,
  DisputeStatus,
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
      data: { deliveryId: string; title: string; description: string | null; evidence: string[]; autoRefundAt: string };
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
      };
    }
  | {
      type: 'DisputeOpened';
      data: { disputeId: string; reason: string; description: string | null; evidence: string[] };
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
  | { type: 'ReviewFlagCleared'; data: { reason: string } };

export type EventType = EventPayload['type'];

/** A domain event as decide() emits it: the payload plus who caused it and when. */
export type DomainEvent = EventPayload & { occurredAt: string; actorId: string };
