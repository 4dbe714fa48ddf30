import type { DomainEvent } from './events.js';
import type { Escrow, Settlement } from './types.js';
import type { SettlementData } from './events.js';

const settlement = (s: SettlementData, at: string): Settlement => ({
  id: s.id,
  kind: s.kind,
  amount: BigInt(s.amount),
  currency: s.currency,
  beneficiaryId: s.beneficiaryId,
  status: 'PENDING',
  providerReference: null,
  failureReason: null,
  createdAt: at,
  completedAt: null,
});

/**
 * Applies one event to the state. Pure and total: folding an escrow's events from null reproduces the aggregate,
 * which is what `escrow verify` checks against the stored rows. Every event adds one to the version.
 */
export function evolve(state: Escrow | null, event: DomainEvent & { escrowId: string }): Escrow {
  if (event.type === 'EscrowCreated') {
    const d = event.data;
    return {
      id: event.escrowId,
      offerId: d.offerId,
      contractId: d.contractId,
      buyerId: d.buyerId,
      sellerId: d.sellerId,
      rail: d.rail,
      currency: d.currency,
      amount: BigInt(d.amount),
      buyerFee: BigInt(d.buyerFee),
      sellerFee: BigInt(d.sellerFee),
      status: 'AWAIT_FUNDS',
      version: 1,
      expiresAt: d.expiresAt,
      autoRefundAt: null,
      metadata: d.metadata,
      payment: d.payment,
      fundedAmount: 0n,
      releasedAmount: 0n,
      refundedAmount: 0n,
      feeAmount: 0n,
      fundingTransactionId: null,
      refundType: null,
      cancelReason: null,
      flaggedForReview: false,
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
      deliveries: [],
      disputes: [],
      settlements: [],
    };
  }
  if (!state) throw new Error(`cannot apply ${event.type} before EscrowCreated`);
  const e: Escrow = { ...state, version: state.version + 1, updatedAt: event.occurredAt };
  const at = event.occurredAt;
  switch (event.type) {
    case 'EscrowFundsHeld':
      return {
        ...e,
        status: 'FUNDS_HELD',
        fundedAmount: BigInt(event.data.amount),
        fundingTransactionId: event.data.transactionId,
      };
    case 'PaymentMismatchRecorded':
      return { ...e, flaggedForReview: true };
    case 'PaymentFailed':
      return e;
    case 'EscrowCancelled':
      return { ...e, status: 'CANCELLED', cancelReason: event.data.reason };
    case 'EscrowDelivered': {
      const d = event.data;
      return {
        ...e,
        status: 'DELIVERED',
        autoRefundAt: d.autoRefundAt,
        deliveries: [
          ...e.deliveries,
          {
            id: d.deliveryId,
            title: d.title,
            description: d.description,
            evidence: d.evidence,
            deliveredBy: event.actorId,
            createdAt: at,
          },
        ],
      };
    }
    case 'DeliveryConfirmed':
      return e;
    case 'EscrowReleased':
      return {
        ...e,
        status: 'RELEASED',
        releasedAmount: e.releasedAmount + BigInt(event.data.sellerAmount),
        feeAmount: e.feeAmount + BigInt(event.data.feeAmount),
        settlements: [...e.settlements, ...event.data.settlements.map((s) => settlement(s, at))],
      };
    case 'EscrowRefunded':
      return {
        ...e,
        status: 'REFUNDED',
        refundType: event.data.refundType,
        refundedAmount: e.refundedAmount + BigInt(event.data.buyerAmount),
        releasedAmount: e.releasedAmount + BigInt(event.data.sellerAmount),
        feeAmount: e.feeAmount + BigInt(event.data.feeAmount),
        settlements: [...e.settlements, ...event.data.settlements.map((s) => settlement(s, at))],
      };
    case 'DisputeOpened': {
      const d = event.data;
      return {
        ...e,
        status: 'DISPUTED',
        disputes: [
          ...e.disputes,
          {
            id: d.disputeId,
            openedBy: event.actorId,
            reason: d.reason,
            description: d.description,
            evidence: d.evidence,
            status: 'OPEN',
            reviewerId: null,
            resolution: null,
            buyerAmount: null,
            resolutionReason: null,
            createdAt: at,
            resolvedAt: null,
          },
        ],
      };
    }
    case 'DisputeReviewStarted':
      return {
        ...e,
        disputes: e.disputes.map((d) =>
          d.id === event.data.disputeId ? { ...d, status: 'IN_REVIEW', reviewerId: event.data.reviewerId } : d,
        ),
      };
    case 'DisputeResolved': {
      const r = event.data;
      return {
        ...e,
        disputes: e.disputes.map((d) =>
          d.id === r.disputeId
            ? {
                ...d,
                status: 'RESOLVED',
                resolution: r.resolution,
                buyerAmount: r.buyerAmount === null ? null : BigInt(r.buyerAmount),
                resolutionReason: r.reason,
                resolvedAt: at,
              }
            : d,
        ),
      };
    }
    case 'SettlementSucceeded':
      return {
        ...e,
        settlements: e.settlements.map((s) =>
          s.id === event.data.settlementId
            ? {
                ...s,
                status: 'SUCCEEDED',
                providerReference: event.data.providerReference,
                failureReason: null,
                completedAt: at,
              }
            : s,
        ),
      };
    case 'SettlementFailed':
      return {
        ...e,
        settlements: e.settlements.map((s) =>
          s.id === event.data.settlementId
            ? { ...s, status: 'FAILED', failureReason: event.data.reason, completedAt: at }
            : s,
        ),
      };
    case 'SettlementRetried':
      return {
        ...e,
        settlements: e.settlements.map((s) =>
          s.id === event.data.settlementId ? { ...s, status: 'PENDING', failureReason: null, completedAt: null } : s,
        ),
      };
    case 'EscrowFlaggedForReview':
      return { ...e, flaggedForReview: true };
    default: {
      const _exhaustive: never = event;
      throw new Error(`unknown event ${(_exhaustive as { type: string }).type}`);
    }
  }
}

/** Folds events (in sequence order) into the aggregate. */
export function fold(escrowId: string, events: readonly DomainEvent[]): Escrow | null {
  let s: Escrow | null = null;
  for (const ev of events) s = evolve(s, { ...ev, escrowId });
  return s;
}
