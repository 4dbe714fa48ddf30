import type { Delivery, Dispute, Escrow, Milestone, Settlement, SuspenseItem } from '../../domain/index.js';
import { ESCROW_COLUMNS, ESCROW_FIELD_COLUMNS, type EscrowScalars } from './escrowColumns.js';

/** JSON as escrow_aggregate() returns it: amounts are digit strings. */
type Json<T> = {
  [K in keyof T]: T[K] extends bigint ? string : T[K] extends bigint | null ? string | null : T[K];
};
export type EscrowJson = Omit<Json<Escrow>, 'disputes' | 'settlements' | 'suspense' | 'milestones'> & {
  disputes: Json<Dispute>[];
  settlements: Json<Settlement>[];
  suspense: Json<SuspenseItem>[];
  milestones: Json<Milestone>[];
};

/** The aggregate from escrow_aggregate()'s JSON: the escrow's own fields as ESCROW_COLUMNS decodes them. */
export function escrowFromJson(j: EscrowJson): Escrow {
  const scalars: Record<string, unknown> = {};
  for (const c of ESCROW_FIELD_COLUMNS) scalars[c.field] = c.fromJson(j[c.field]);
  return {
    // every field has a column: escrowColumns.ts checks that at compile time
    ...(scalars as EscrowScalars),
    deliveries: j.deliveries,
    disputes: j.disputes.map((d) => ({ ...d, buyerAmount: d.buyerAmount === null ? null : BigInt(d.buyerAmount) })),
    settlements: j.settlements.map((s) => ({ ...s, amount: BigInt(s.amount) })),
    suspense: j.suspense.map((s) => ({ ...s, amount: BigInt(s.amount) })),
    milestones: j.milestones.map((m) => ({
      ...m,
      amount: BigInt(m.amount),
      buyerFee: BigInt(m.buyerFee),
      sellerFee: BigInt(m.sellerFee),
      sellerAmount: BigInt(m.sellerAmount),
      buyerAmount: BigInt(m.buyerAmount),
      feeAmount: BigInt(m.feeAmount),
    })),
    vault: j.vault,
  };
}

/** The escrows row, keyed by column name, for jsonb_populate_record. */
export function escrowRow(e: Escrow): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const c of ESCROW_COLUMNS) row[c.column] = c.toRow(e);
  return row;
}

export const deliveryRow = (escrowId: string, d: Delivery) => ({
  id: d.id,
  escrow_id: escrowId,
  milestone_id: d.milestoneId,
  title: d.title,
  description: d.description,
  evidence: d.evidence,
  files: d.files,
  delivered_by: d.deliveredBy,
  created_at: d.createdAt,
});

export const disputeRow = (escrowId: string, d: Dispute) => ({
  id: d.id,
  escrow_id: escrowId,
  milestone_id: d.milestoneId,
  opened_by: d.openedBy,
  reason: d.reason,
  description: d.description,
  evidence: d.evidence,
  files: d.files,
  submissions: d.submissions,
  respond_by: d.respondBy,
  sla_due_at: d.slaDueAt,
  status: d.status,
  reviewer_id: d.reviewerId,
  resolution: d.resolution,
  buyer_amount: d.buyerAmount?.toString() ?? null,
  resolution_reason: d.resolutionReason,
  created_at: d.createdAt,
  resolved_at: d.resolvedAt,
});

export const settlementRow = (escrowId: string, s: Settlement) => ({
  id: s.id,
  escrow_id: escrowId,
  kind: s.kind,
  amount: s.amount.toString(),
  currency: s.currency,
  beneficiary_id: s.beneficiaryId,
  status: s.status,
  provider_reference: s.providerReference,
  failure_reason: s.failureReason,
  created_at: s.createdAt,
  completed_at: s.completedAt,
});

export const suspenseRow = (escrowId: string, s: SuspenseItem) => ({
  id: s.id,
  escrow_id: escrowId,
  amount: s.amount.toString(),
  currency: s.currency,
  transaction_id: s.transactionId,
  provider_event_id: s.providerEventId,
  source: s.source,
  reason: s.reason,
  status: s.status,
  received_at: s.receivedAt,
  resolved_at: s.resolvedAt,
  resolved_by: s.resolvedBy,
  resolution_reason: s.resolutionReason,
  settlement_id: s.settlementId,
});

export const milestoneRow = (escrowId: string, m: Milestone) => ({
  id: m.id,
  escrow_id: escrowId,
  position: m.position,
  title: m.title,
  amount: m.amount.toString(),
  buyer_fee: m.buyerFee.toString(),
  seller_fee: m.sellerFee.toString(),
  due_at: m.dueAt,
  status: m.status,
  delivered_at: m.deliveredAt,
  confirm_by: m.confirmBy,
  seller_amount: m.sellerAmount.toString(),
  buyer_amount: m.buyerAmount.toString(),
  fee_amount: m.feeAmount.toString(),
  resolved_at: m.resolvedAt,
});

/** The vault's state row when the command changed it (never the secret: that is in vault_secrets). */
export function vaultRow(before: Escrow | null, after: Escrow): Record<string, unknown> | null {
  const v = after.vault;
  if (!v || before?.vault === v) return null;
  return {
    escrow_id: after.id,
    kind: v.kind,
    file: v.file,
    fingerprint: v.fingerprint,
    revision: v.revision,
    set_by: v.setBy,
    set_at: v.setAt,
    first_revealed_at: v.firstRevealedAt,
    reveal_count: v.revealCount,
  };
}

/** Whether a new definition replaced the escrow's milestones (the old rows go, all new ones are written). */
export function milestonesReplaced(before: Escrow | null, after: Escrow): boolean {
  const old = before?.milestones ?? [];
  return (
    old.length > 0 && (old.length !== after.milestones.length || old.some((m, i) => m.id !== after.milestones[i]?.id))
  );
}

/** Items of `after` that are new or differ from `before` (by id), so only changed side rows are written. */
export function changed<T extends { id: string }>(before: readonly T[], after: readonly T[]): T[] {
  // evolve() keeps unchanged items by reference, so identity is the change test
  const prev = new Map(before.map((x) => [x.id, x]));
  return after.filter((x) => prev.get(x.id) !== x);
}
