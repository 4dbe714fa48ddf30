import { fold, ledgerViolations, minorAsString, type DomainEvent, type Escrow } from '../domain/index.js';
import type { EscrowReadModel, IntegrityStore, StoredEvent } from './ports/index.js';

export interface VerifyReport {
  escrowsChecked: number;
  violations: { escrowId: string | null; problem: string }[];
}

/** Canonical JSON (sorted keys, bigint as digits) so a folded aggregate and a stored one compare exactly. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => {
    if (typeof v === 'bigint') return minorAsString(k, v);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

export const toDomainEvent = (e: StoredEvent): DomainEvent =>
  ({ type: e.type, data: e.data, occurredAt: e.occurredAt, actorId: e.actor.id }) as DomainEvent;

/** Problems of one escrow: its events are 1..n without gaps, fold(events) equals the stored aggregate, ledger holds. */
export function escrowProblems(stored: Escrow, events: StoredEvent[], ledger: Parameters<typeof ledgerViolations>[1]) {
  const problems: string[] = [];
  events.forEach((e, i) => {
    if (e.sequence !== i + 1) problems.push(`event ${e.eventId} has sequence ${e.sequence}, expected ${i + 1}`);
  });
  if (stored.version !== events.length) problems.push(`version ${stored.version} but ${events.length} events`);
  const folded = fold(stored.id, events.map(toDomainEvent));
  if (canonical(folded) !== canonical(stored)) {
    problems.push(`fold(events) differs from the stored escrow: ${firstDifference(folded, stored)}`);
  }
  problems.push(...ledgerViolations(stored, ledger));
  return problems;
}

function firstDifference(a: unknown, b: unknown): string {
  const ao = JSON.parse(canonical(a)) as Record<string, unknown>;
  const bo = JSON.parse(canonical(b)) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ao ?? {}), ...Object.keys(bo ?? {})])) {
    if (canonical(ao?.[k]) !== canonical(bo?.[k])) {
      return `${k}: events say ${canonical(ao?.[k])}, row says ${canonical(bo?.[k])}`;
    }
  }
  return 'unknown';
}

/** Told after each batch of escrows checked: how many so far, and of how many. */
export type VerifyProgress = (checked: number, total: number) => void;

/** `escrow verify`: every invariant of SPEC §2 (suspense included) and §4 over the live database. */
export async function verifyAll(
  readModel: EscrowReadModel,
  integrity: IntegrityStore,
  batch = 200,
  onProgress?: VerifyProgress,
): Promise<VerifyReport> {
  const violations: VerifyReport['violations'] = [];
  // counted first: escrows created meanwhile are checked too (the count is a guide for the progress bar)
  const total = onProgress ? await integrity.escrowCount() : 0;
  for (const t of await integrity.unbalancedTransactions()) {
    violations.push({
      escrowId: null,
      problem: `ledger transaction ${t.transactionId} sums to ${t.sum} ${t.currency}`,
    });
  }
  for (const p of await integrity.crossReferenceErrors()) violations.push({ escrowId: null, problem: p });
  for (const p of await integrity.suspenseProblems()) violations.push({ escrowId: null, problem: p });
  let checked = 0;
  let after: string | null = null;
  for (;;) {
    const ids = await integrity.escrowIdsAfter(after, batch);
    if (ids.length === 0) break;
    for (const id of ids) {
      const [stored, events, ledger] = await Promise.all([
        readModel.getEscrow(id),
        readModel.events(id),
        readModel.ledger(id),
      ]);
      if (!stored) continue;
      for (const problem of escrowProblems(stored, events, ledger)) violations.push({ escrowId: id, problem });
      checked++;
    }
    onProgress?.(checked, Math.max(total, checked));
    after = ids.at(-1)!;
  }
  return { escrowsChecked: checked, violations };
}
