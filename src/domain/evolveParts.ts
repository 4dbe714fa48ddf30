import { addDays } from './decider/deadlines.js';
import type {
  DomainEvent,
  EventPayload,
  MilestoneData,
  MilestoneOutcome,
  MilestoneSplitData,
  SettlementData,
} from './events.js';
import type { Escrow, Milestone, MilestoneStatus, Settlement } from './types.js';

// evolve()'s handlers for disputes, milestones and the vault (issue 12), kept apart so evolve.ts stays one switch.

export type Applied<T extends EventPayload['type']> = Extract<DomainEvent, { type: T }> & { escrowId: string };

export function vaultUpdated(e: Escrow, event: Applied<'VaultSet'> | Applied<'VaultRevealed'>): Escrow {
  const at = event.occurredAt;
  if (event.type === 'VaultSet') {
    const d = event.data;
    return {
      ...e,
      vault: {
        kind: d.kind,
        file: d.file,
        fingerprint: d.fingerprint,
        revision: d.revision,
        setBy: event.actorId,
        setAt: at,
        firstRevealedAt: null,
        revealCount: 0,
      },
    };
  }
  if (!e.vault) return e;
  return {
    ...e,
    vault: { ...e.vault, revealCount: event.data.revealCount, firstRevealedAt: e.vault.firstRevealedAt ?? at },
  };
}

export function milestonesUpdated(
  e: Escrow,
  event:
    | Applied<'MilestonesDefined'>
    | Applied<'MilestoneDelivered'>
    | Applied<'MilestoneReleased'>
    | Applied<'MilestoneRefunded'>,
): Escrow {
  switch (event.type) {
    case 'MilestonesDefined':
      return { ...e, milestones: event.data.milestones.map(milestoneOf) };
    case 'MilestoneDelivered':
      return milestoneDelivered(e, event);
    case 'MilestoneReleased':
      return milestoneSettled(e, event.data, 'RELEASED', event.occurredAt);
    case 'MilestoneRefunded':
      return milestoneSettled(e, event.data, 'REFUNDED', event.occurredAt);
    default: {
      const _exhaustive: never = event;
      throw new Error(`not a milestone event: ${(_exhaustive as { type: string }).type}`);
    }
  }
}

export function disputeOpened(e: Escrow, event: Applied<'DisputeOpened'>): Escrow {
  const d = event.data;
  const at = event.occurredAt;
  // events written before issue 12 have no milestone, files or deadlines: migration 013 gives their rows the same
  const milestoneId = d.milestoneId ?? null;
  return {
    ...e,
    status: milestoneId === null ? 'DISPUTED' : e.status,
    autoRefundAt: d.autoRefundAt === undefined ? e.autoRefundAt : d.autoRefundAt,
    milestones:
      milestoneId === null
        ? e.milestones
        : e.milestones.map((m) => (m.id === milestoneId ? { ...m, status: 'DISPUTED' } : m)),
    disputes: [
      ...e.disputes,
      {
        id: d.disputeId,
        milestoneId,
        openedBy: event.actorId,
        reason: d.reason,
        description: d.description,
        evidence: d.evidence,
        files: d.files ?? [],
        respondBy: d.respondBy ?? addDays(at, LEGACY_RESPOND_DAYS),
        slaDueAt: d.slaDueAt ?? addDays(at, LEGACY_SLA_DAYS),
        submissions: [],
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

/** The deadlines migration 013 gives disputes opened before they were recorded. */
const LEGACY_RESPOND_DAYS = 3;
const LEGACY_SLA_DAYS = 7;

export function evidenceAdded(e: Escrow, event: Applied<'DisputeEvidenceAdded'>): Escrow {
  const { disputeId, statement, evidence, files } = event.data;
  const submission = { by: event.actorId, statement, evidence, files, at: event.occurredAt };
  return {
    ...e,
    disputes: e.disputes.map((d) => (d.id === disputeId ? { ...d, submissions: [...d.submissions, submission] } : d)),
  };
}

const milestoneOf = (m: MilestoneData): Milestone => ({
  id: m.milestoneId,
  position: m.position,
  title: m.title,
  amount: BigInt(m.amount),
  buyerFee: BigInt(m.buyerFee),
  sellerFee: BigInt(m.sellerFee),
  dueAt: m.dueAt,
  status: 'PENDING',
  deliveredAt: null,
  confirmBy: null,
  sellerAmount: 0n,
  buyerAmount: 0n,
  feeAmount: 0n,
  resolvedAt: null,
});

function milestoneDelivered(e: Escrow, event: Applied<'MilestoneDelivered'>): Escrow {
  const d = event.data;
  const at = event.occurredAt;
  return {
    ...e,
    autoRefundAt: d.autoRefundAt,
    milestones: e.milestones.map((m) =>
      m.id === d.milestoneId ? { ...m, status: 'DELIVERED', deliveredAt: at, confirmBy: d.confirmBy } : m,
    ),
    deliveries: [
      ...e.deliveries,
      {
        id: d.deliveryId,
        milestoneId: d.milestoneId,
        title: d.title,
        description: d.description,
        evidence: d.evidence,
        files: d.files,
        deliveredBy: event.actorId,
        createdAt: at,
      },
    ],
  };
}

function milestoneSettled(e: Escrow, d: MilestoneOutcome, status: MilestoneStatus, at: string): Escrow {
  const seller = BigInt(d.sellerAmount);
  const buyer = BigInt(d.buyerAmount);
  const fee = BigInt(d.feeAmount);
  return {
    ...e,
    status: d.escrowStatus,
    refundType: d.refundType ?? e.refundType,
    autoRefundAt: d.autoRefundAt,
    releasedAmount: e.releasedAmount + seller,
    refundedAmount: e.refundedAmount + buyer,
    feeAmount: e.feeAmount + fee,
    milestones: e.milestones.map((m) =>
      m.id === d.milestoneId
        ? { ...m, status, sellerAmount: seller, buyerAmount: buyer, feeAmount: fee, resolvedAt: at }
        : m,
    ),
    settlements: [...e.settlements, ...d.settlements.map((s) => settlement(s, at))],
  };
}

/**
 * The milestones an escrow-wide release or refund settles (those not settled one by one before), with the parts of
 * the amounts the event gives each: RELEASED when nothing of it went back to the buyer, else REFUNDED. An event
 * written before it named the parts only marks them `status`, their amounts left at zero.
 */
export function settleRest(
  ms: Milestone[],
  status: MilestoneStatus,
  at: string,
  parts: readonly MilestoneSplitData[] = [],
): Milestone[] {
  if (ms.length === 0) return ms;
  return ms.map((m) => {
    if (m.status === 'RELEASED' || m.status === 'REFUNDED') return m;
    const p = parts.find((x) => x.milestoneId === m.id);
    if (!p) return { ...m, status, resolvedAt: at };
    const buyerAmount = BigInt(p.buyerAmount);
    return {
      ...m,
      status: buyerAmount > 0n ? 'REFUNDED' : 'RELEASED',
      buyerAmount,
      sellerAmount: BigInt(p.sellerAmount),
      feeAmount: BigInt(p.feeAmount),
      resolvedAt: at,
    };
  });
}

export const settlement = (s: SettlementData, at: string): Settlement => ({
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
