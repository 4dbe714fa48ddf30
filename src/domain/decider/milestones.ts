import type { DecideContext, MilestoneInput } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload, MilestoneData, MilestoneOutcome, RefundTrigger, ReleaseTrigger } from '../events.js';
import { MAX_MILESTONES, TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Escrow, EscrowStatus, Milestone } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { evidenceList, fileRefs, optionalText, text } from './guards.js';
import { isSettled, milestoneShares, settlementsFor, splitParts, type Parts } from './holding.js';

// Milestone escrows (SPEC §3.2): the amount in parts, each delivered by the seller and released by the buyer (or an
// admin) on its own, each paying its share less its share of the seller fee. The last one settled ends the escrow.

export { milestoneShares } from './holding.js';

/** Checks a caller's milestones against the escrow and fixes each one's shares of the fees. */
export function milestonesData(
  input: unknown,
  escrow: Parts,
  ctx: DecideContext,
): Extract<EventPayload, { type: 'MilestonesDefined' }> {
  if (!ctx.policy.milestones) {
    throw new DomainError('FEATURE_DISABLED', 'milestone escrows are disabled here (FEATURE_MILESTONE_ESCROWS=false)', {
      errors: [{ field: 'milestones', message: 'milestone escrows are disabled' }],
    });
  }
  if (!Array.isArray(input) || input.length < 1 || input.length > MAX_MILESTONES) {
    throw invalid('milestones', `must be a list of 1 to ${MAX_MILESTONES} milestones`);
  }
  const items = (input as MilestoneInput[]).map((m, i) => {
    if (typeof m !== 'object' || m === null) throw invalid(`milestones[${i}]`, 'must be an object');
    return {
      title: text(m.title, `milestones[${i}].title`, 1, TEXT_MAX_LENGTH.deliveryTitle),
      amount: parsePositiveMinor(m.amount, `milestones[${i}].amount`),
      dueAt: dueAtOf(m.dueAt, `milestones[${i}].dueAt`),
    };
  });
  const sum = items.reduce((a, m) => a + m.amount, 0n);
  if (sum !== escrow.amount) {
    throw invalid('milestones', `amounts add up to ${sum}; they must add up to the escrow's amount ${escrow.amount}`);
  }
  const amounts = items.map((m) => m.amount);
  const buyerFees = milestoneShares(escrow.buyerFee, amounts);
  const sellerFees = milestoneShares(escrow.sellerFee, amounts);
  const milestones: MilestoneData[] = items.map((m, i) => ({
    milestoneId: ctx.newId(`milestone:${i}`),
    position: i + 1,
    title: m.title,
    amount: m.amount.toString(),
    buyerFee: buyerFees[i]!.toString(),
    sellerFee: sellerFees[i]!.toString(),
    dueAt: m.dueAt,
  }));
  return { type: 'MilestonesDefined', data: { milestones } };
}

function dueAtOf(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d\d-\d\dT/.test(value)) {
    throw invalid(field, 'must be an ISO-8601 date-time, e.g. 2026-12-31T17:00:00Z');
  }
  return new Date(value).toISOString();
}

/**
 * The buyer funds against the milestones, so they are the buyer's to define (or an admin's, or the marketplace's
 * service): a seller reshaping them before funding would change what the buyer pays for.
 */
export function defineMilestones(c: CommandOf<'DefineMilestones'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  if (ctx.actor.id === e.sellerId) {
    throw new DomainError(
      'FORBIDDEN',
      'the seller may not define milestones: the buyer funds against them, so the buyer (or an admin) must define them',
    );
  }
  assertActor(e, ctx, ['buyer', 'service', 'admin'], 'define milestones');
  assertStatus(e, ['AWAIT_FUNDS'], 'define milestones');
  return [milestonesData(c.milestones, e, ctx)];
}

export function findMilestone(e: Escrow, id: unknown): Milestone {
  const m = e.milestones.find((x) => x.id === id);
  if (!m) throw new DomainError('MILESTONE_NOT_FOUND', `milestone ${String(id)} not found on escrow ${e.id}`);
  return m;
}

function assertMilestone(m: Milestone, allowed: readonly Milestone['status'][], what: string): void {
  if (!allowed.includes(m.status)) {
    throw new DomainError(
      'INVALID_STATE_TRANSITION',
      `cannot ${what}: milestone ${m.position} is ${m.status} (allowed from ${allowed.join(', ')})`,
      { currentStatus: m.status },
    );
  }
}

export function deliverMilestone(c: CommandOf<'DeliverMilestone'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['seller', 'admin'], 'deliver a milestone');
  assertStatus(e, ['FUNDS_HELD'], 'deliver a milestone');
  const m = findMilestone(e, c.milestoneId);
  assertMilestone(m, ['PENDING'], 'deliver');
  const confirmBy = addDays(ctx.now, ctx.policy.autoRefundDeadlineDays);
  const after = e.milestones.map((x) => (x.id === m.id ? { ...x, status: 'DELIVERED' as const, confirmBy } : x));
  return [
    {
      type: 'MilestoneDelivered',
      data: {
        milestoneId: m.id,
        deliveryId: ctx.newId('delivery'),
        title: text(c.title, 'title', 1, TEXT_MAX_LENGTH.deliveryTitle),
        description: optionalText(c.description, 'description', TEXT_MAX_LENGTH.description),
        evidence: evidenceList(c.evidence, 'evidence'),
        files: fileRefs(c.files, 'files'),
        confirmBy,
        autoRefundAt: nextDeadline(after),
      },
    },
  ];
}

export function releaseMilestone(c: CommandOf<'ReleaseMilestone'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer', 'admin'], 'release a milestone');
  assertStatus(e, ['FUNDS_HELD'], 'release a milestone');
  const m = findMilestone(e, c.milestoneId);
  // the buyer releases what was delivered; an admin may release a milestone before its delivery is recorded
  assertMilestone(
    m,
    ctx.actor.role === 'admin' && ctx.actor.id !== e.buyerId ? ['PENDING', 'DELIVERED'] : ['DELIVERED'],
    'release',
  );
  const trigger = ctx.actor.role === 'admin' && ctx.actor.id !== e.buyerId ? 'ADMIN' : 'BUYER_CONFIRMED';
  const reason = optionalText(c.reason, 'reason', TEXT_MAX_LENGTH.reason);
  return settleMilestones(e, ctx, [{ milestone: m, buyerPrincipal: 0n, trigger, reason }]);
}

/** One milestone to settle: `buyerPrincipal` of its amount back to the buyer (0: released to the seller). */
export interface MilestoneSettlement {
  milestone: Milestone;
  buyerPrincipal: bigint;
  trigger: ReleaseTrigger | RefundTrigger;
  reason: string | null;
}

/**
 * The events that settle milestones, in order: each one's split (splitParts on its amount and fee shares), its
 * settlements, and the escrow's status and next deadline after it — RELEASED or REFUNDED once none is left open.
 */
export function settleMilestones(e: Escrow, ctx: DecideContext, items: readonly MilestoneSettlement[]): EventPayload[] {
  let milestones = e.milestones;
  return items.map(({ milestone: m, buyerPrincipal, trigger, reason }) => {
    const split = splitParts(m, buyerPrincipal);
    const refund = buyerPrincipal > 0n;
    const status = refund ? 'REFUNDED' : 'RELEASED';
    milestones = milestones.map((x) =>
      x.id === m.id
        ? { ...x, status, buyerAmount: split.buyerAmount, sellerAmount: split.sellerAmount, feeAmount: split.feeAmount }
        : x,
    );
    const { escrowStatus, refundType } = escrowStatusOf(milestones);
    const data: MilestoneOutcome = {
      milestoneId: m.id,
      trigger,
      reason,
      sellerAmount: split.sellerAmount.toString(),
      buyerAmount: split.buyerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx, `:${m.position}`),
      escrowStatus,
      refundType,
      autoRefundAt: nextDeadline(milestones),
    };
    return refund ? { type: 'MilestoneRefunded', data } : { type: 'MilestoneReleased', data };
  });
}

/** FUNDS_HELD while any milestone is open; then RELEASED, or REFUNDED (FULL when the buyer got everything back). */
function escrowStatusOf(ms: readonly Milestone[]): {
  escrowStatus: EscrowStatus;
  refundType: 'FULL' | 'PARTIAL' | null;
} {
  if (!ms.every(isSettled)) return { escrowStatus: 'FUNDS_HELD', refundType: null };
  if (ms.every((m) => m.buyerAmount === 0n)) return { escrowStatus: 'RELEASED', refundType: null };
  const full = ms.every((m) => m.sellerAmount === 0n && m.feeAmount === 0n);
  return { escrowStatus: 'REFUNDED', refundType: full ? 'FULL' : 'PARTIAL' };
}

/** The escrow's confirmation deadline: the earliest among milestones delivered and not yet settled. */
export function nextDeadline(ms: readonly Milestone[]): string | null {
  const due = ms
    .filter((m) => m.status === 'DELIVERED' && m.confirmBy !== null)
    .map((m) => m.confirmBy!)
    .sort();
  return due[0] ?? null;
}

/** Milestones delivered whose confirmation deadline has passed at `now`, oldest deadline first. */
export function overdueMilestones(e: Escrow, now: string): Milestone[] {
  return e.milestones
    .filter((m) => m.status === 'DELIVERED' && m.confirmBy !== null && Date.parse(m.confirmBy) <= Date.parse(now))
    .sort((a, b) => Date.parse(a.confirmBy!) - Date.parse(b.confirmBy!) || a.position - b.position);
}

/** Refuses the escrow-level delivery commands on a milestone escrow, pointing at the milestone routes. */
export function assertNoMilestones(e: Escrow, what: string): void {
  if (e.milestones.length > 0) {
    throw new DomainError(
      'INVALID_STATE_TRANSITION',
      `cannot ${what}: this escrow is paid in milestones; deliver and release each milestone instead (POST /api/escrow/${e.id}/milestones/{milestoneId}/deliver, …/release)`,
      { currentStatus: e.status },
    );
  }
}
