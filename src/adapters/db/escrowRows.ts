import type { Delivery, Dispute, Escrow, Settlement, SuspenseItem } from '../../domain/index.js';
import { ESCROW_COLUMNS, ESCROW_FIELD_COLUMNS, type EscrowScalars } from './escrowColumns.js';

/** JSON as escrow_aggregate() returns it: amounts are digit strings. */
type Json<T> = {
  [K in keyof T]: T[K] extends bigint ? string : T[K] extends bigint | null ? string | null : T[K];
};
export type EscrowJson = Omit<Json<Escrow>, 'disputes' | 'settlements' | 'suspense'> & {
  disputes: Json<Dispute>[];
  settlements: Json<Settlement>[];
  suspense: Json<SuspenseItem>[];
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
  title: d.title,
  description: d.description,
  evidence: d.evidence,
  delivered_by: d.deliveredBy,
  created_at: d.createdAt,
});

export const disputeRow = (escrowId: string, d: Dispute) => ({
  id: d.id,
  escrow_id: escrowId,
  opened_by: d.openedBy,
  reason: d.reason,
  description: d.description,
  evidence: d.evidence,
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

/** Items of `after` that are new or differ from `before` (by id), so only changed side rows are written. */
export function changed<T extends { id: string }>(before: readonly T[], after: readonly T[]): T[] {
  // evolve() keeps unchanged items by reference, so identity is the change test
  const prev = new Map(before.map((x) => [x.id, x]));
  return after.filter((x) => prev.get(x.id) !== x);
}
