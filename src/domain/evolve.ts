import type { DomainEvent } from './events.js';
import {
  disputeOpened,
  evidenceAdded,
  milestonesUpdated,
  settleRest,
  settlement,
  vaultUpdated,
  type Applied,
} from './evolveParts.js';
import type { Escrow, Settlement, SuspenseItem } from './types.js';

/**
 * Applies one event to the state. Pure and total: folding an escrow's events from null reproduces the aggregate,
 * which is what `escrow verify` checks against the stored rows. Every event adds one to the version.
 */
export function evolve(state: Escrow | null, event: DomainEvent & { escrowId: string }): Escrow {
  if (event.type === 'EscrowCreated') return created(event);
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
    case 'PaymentFailed':
    case 'DeliveryConfirmed':
      return e;
    case 'EscrowCancelled':
      return { ...e, status: 'CANCELLED', cancelReason: event.data.reason };
    case 'EscrowDelivered':
      return delivered(e, event);
    case 'EscrowReleased':
      return {
        ...e,
        status: 'RELEASED',
        milestones: settleRest(e.milestones, 'RELEASED', at, event.data.milestones),
        releasedAmount: e.releasedAmount + BigInt(event.data.sellerAmount),
        feeAmount: e.feeAmount + BigInt(event.data.feeAmount),
        settlements: [...e.settlements, ...event.data.settlements.map((s) => settlement(s, at))],
      };
    case 'EscrowRefunded':
      return {
        ...e,
        status: 'REFUNDED',
        milestones: settleRest(e.milestones, 'REFUNDED', at, event.data.milestones),
        refundType: event.data.refundType,
        refundedAmount: e.refundedAmount + BigInt(event.data.buyerAmount),
        releasedAmount: e.releasedAmount + BigInt(event.data.sellerAmount),
        feeAmount: e.feeAmount + BigInt(event.data.feeAmount),
        settlements: [...e.settlements, ...event.data.settlements.map((s) => settlement(s, at))],
      };
    case 'DisputeOpened':
      return disputeOpened(e, event);
    case 'DisputeReviewStarted':
      return {
        ...e,
        disputes: e.disputes.map((d) =>
          d.id === event.data.disputeId ? { ...d, status: 'IN_REVIEW', reviewerId: event.data.reviewerId } : d,
        ),
      };
    case 'DisputeResolved':
      return disputeResolved(e, event);
    case 'SettlementSucceeded':
    case 'SettlementFailed':
    case 'SettlementRetried':
      return settlementUpdated(e, event);
    case 'PaymentMismatchRecorded':
    case 'EscrowFlaggedForReview':
      return { ...e, flaggedForReview: true };
    case 'ReviewFlagCleared':
      return { ...e, flaggedForReview: false };
    case 'SuspenseBooked':
    case 'SuspenseRefunded':
    case 'SuspenseApplied':
      return suspenseUpdated(e, event);
    case 'DisputeEvidenceAdded':
      return evidenceAdded(e, event);
    case 'MilestonesDefined':
    case 'MilestoneDelivered':
    case 'MilestoneReleased':
    case 'MilestoneRefunded':
      return milestonesUpdated(e, event);
    case 'VaultSet':
    case 'VaultRevealed':
      return vaultUpdated(e, event);
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

function created(event: Applied<'EscrowCreated'>): Escrow {
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
    suspense: [],
    milestones: [],
    vault: null,
  };
}

function delivered(e: Escrow, event: Applied<'EscrowDelivered'>): Escrow {
  const d = event.data;
  return {
    ...e,
    status: 'DELIVERED',
    autoRefundAt: d.autoRefundAt,
    deliveries: [
      ...e.deliveries,
      {
        id: d.deliveryId,
        milestoneId: null,
        title: d.title,
        description: d.description,
        evidence: d.evidence,
        // events written before issue 12 carry no files
        files: d.files ?? [],
        deliveredBy: event.actorId,
        createdAt: event.occurredAt,
      },
    ],
  };
}

function disputeResolved(e: Escrow, event: Applied<'DisputeResolved'>): Escrow {
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
            resolvedAt: event.occurredAt,
          }
        : d,
    ),
  };
}

/** A settlement's outcome as the rail reports it, or its retry: only the named settlement changes. */
function settlementUpdated(
  e: Escrow,
  event: Applied<'SettlementSucceeded'> | Applied<'SettlementFailed'> | Applied<'SettlementRetried'>,
): Escrow {
  const at = event.occurredAt;
  const next = (s: Settlement): Settlement => {
    switch (event.type) {
      case 'SettlementSucceeded':
        return {
          ...s,
          status: 'SUCCEEDED',
          providerReference: event.data.providerReference,
          failureReason: null,
          completedAt: at,
        };
      case 'SettlementFailed':
        return { ...s, status: 'FAILED', failureReason: event.data.reason, completedAt: at };
      case 'SettlementRetried':
        return { ...s, status: 'PENDING', failureReason: null, completedAt: null };
      default: {
        const _exhaustive: never = event;
        throw new Error(`not a settlement event: ${(_exhaustive as { type: string }).type}`);
      }
    }
  };
  return { ...e, settlements: e.settlements.map((s) => (s.id === event.data.settlementId ? next(s) : s)) };
}

/** Money in suspense: booked as an OPEN item, then refunded (with its REFUND settlement) or applied (funding). */
function suspenseUpdated(
  e: Escrow,
  event: Applied<'SuspenseBooked'> | Applied<'SuspenseRefunded'> | Applied<'SuspenseApplied'>,
): Escrow {
  const at = event.occurredAt;
  const resolve = (ids: readonly string[], status: SuspenseItem['status'], settlementId: string | null) =>
    e.suspense.map((s) =>
      ids.includes(s.id)
        ? { ...s, status, resolvedAt: at, resolvedBy: event.actorId, resolutionReason: event.data.reason, settlementId }
        : s,
    );
  switch (event.type) {
    case 'SuspenseBooked': {
      const d = event.data;
      const item: SuspenseItem = {
        id: d.suspenseId,
        amount: BigInt(d.amount),
        currency: d.currency,
        transactionId: d.transactionId,
        providerEventId: d.providerEventId,
        source: d.source,
        reason: d.reason,
        status: 'OPEN',
        receivedAt: at,
        resolvedAt: null,
        resolvedBy: null,
        resolutionReason: null,
        settlementId: null,
      };
      return { ...e, suspense: [...e.suspense, item] };
    }
    case 'SuspenseRefunded':
      return {
        ...e,
        suspense: resolve([event.data.suspenseId], 'REFUNDED', event.data.settlement.id),
        settlements: [...e.settlements, settlement(event.data.settlement, at)],
      };
    case 'SuspenseApplied':
      return {
        ...e,
        status: 'FUNDS_HELD',
        fundedAmount: BigInt(event.data.amount),
        fundingTransactionId: event.data.transactionId,
        suspense: resolve(event.data.suspenseIds, 'APPLIED', null),
      };
    default: {
      const _exhaustive: never = event;
      throw new Error(`not a suspense event: ${(_exhaustive as { type: string }).type}`);
    }
  }
}
