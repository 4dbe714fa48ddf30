import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Dispute, Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { evidenceList, fileRefs, optionalText, text } from './guards.js';
import { refunded, released, remainderOf } from './holding.js';
import { findMilestone, nextDeadline, settleMilestones } from './milestones.js';

// A party opens a dispute; an admin reviews it and rules: release, refund, or split between buyer and seller.

export function openDispute(c: CommandOf<'OpenDispute'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer', 'seller'], 'open a dispute');
  if (e.disputes.some((d) => d.status !== 'RESOLVED')) {
    throw new DomainError('DISPUTE_ALREADY_OPEN', 'this escrow already has an open dispute');
  }
  assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'open a dispute');
  let milestoneId: string | null = null;
  let deadline: { autoRefundAt?: string | null } = {};
  if (c.milestoneId !== undefined && c.milestoneId !== null) {
    const m = findMilestone(e, c.milestoneId);
    if (m.status !== 'PENDING' && m.status !== 'DELIVERED') {
      throw new DomainError('INVALID_STATE_TRANSITION', `cannot dispute milestone ${m.position}: it is ${m.status}`, {
        currentStatus: m.status,
      });
    }
    milestoneId = m.id;
    // the milestone in dispute no longer runs against its confirmation deadline; the others still do
    deadline = { autoRefundAt: nextDeadline(e.milestones.filter((x) => x.id !== m.id)) };
  }
  return [
    {
      type: 'DisputeOpened',
      data: {
        disputeId: ctx.newId('dispute'),
        milestoneId,
        reason: text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.disputeReason),
        description: optionalText(c.description, 'description', TEXT_MAX_LENGTH.description),
        evidence: evidenceList(c.evidence, 'evidence'),
        files: fileRefs(c.files, 'files'),
        respondBy: addDays(ctx.now, ctx.policy.disputeRespondDays),
        slaDueAt: addDays(ctx.now, ctx.policy.disputeSlaDays),
        ...deadline,
      },
    },
  ];
}

/** Either party adds a statement, evidence or files to an open dispute (the other side's answer, typically). */
export function addDisputeEvidence(c: CommandOf<'AddDisputeEvidence'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer', 'seller'], 'add evidence to a dispute');
  const d = findDispute(e, c.disputeId);
  if (d.status === 'RESOLVED') {
    throw new DomainError('INVALID_STATE_TRANSITION', 'cannot add evidence: dispute is RESOLVED', {
      currentStatus: d.status,
    });
  }
  const statement = optionalText(c.statement, 'statement', TEXT_MAX_LENGTH.description);
  const evidence = evidenceList(c.evidence, 'evidence');
  const files = fileRefs(c.files, 'files');
  if (statement === null && evidence.length === 0 && files.length === 0) {
    throw invalid('statement', 'give a statement, evidence or files');
  }
  const total = d.files.length + d.submissions.reduce((a, x) => a + x.files.length, 0) + files.length;
  if (total > MAX_DISPUTE_FILES) {
    throw invalid('files', `a dispute carries at most ${MAX_DISPUTE_FILES} files; it has ${total - files.length}`);
  }
  return [{ type: 'DisputeEvidenceAdded', data: { disputeId: d.id, statement, evidence, files } }];
}

/** Files one dispute carries from both sides together. */
const MAX_DISPUTE_FILES = 100;

export function startDisputeReview(c: CommandOf<'StartDisputeReview'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'review a dispute');
  const d = findDispute(e, c.disputeId);
  if (d.status !== 'OPEN') {
    throw new DomainError('INVALID_STATE_TRANSITION', `cannot start review: dispute is ${d.status}`, {
      currentStatus: d.status,
    });
  }
  return [{ type: 'DisputeReviewStarted', data: { disputeId: d.id, reviewerId: ctx.actor.id } }];
}

export function resolveDispute(c: CommandOf<'ResolveDispute'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'resolve a dispute');
  const d = findDispute(e, c.disputeId);
  if (d.status === 'RESOLVED') {
    throw new DomainError('INVALID_STATE_TRANSITION', 'cannot resolve: dispute is RESOLVED', {
      currentStatus: d.status,
    });
  }
  // a dispute about one milestone leaves the escrow FUNDS_HELD; one about the whole escrow makes it DISPUTED
  assertStatus(e, [d.milestoneId === null ? 'DISPUTED' : 'FUNDS_HELD'], 'resolve a dispute');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  const m = d.milestoneId === null ? null : findMilestone(e, d.milestoneId);
  const whole = m ?? remainderOf(e);
  const buyerAmount = buyerShare(c, whole.amount);
  const resolved: EventPayload = {
    type: 'DisputeResolved',
    data: {
      disputeId: d.id,
      resolution: c.resolution,
      buyerAmount: buyerAmount === null ? null : buyerAmount.toString(),
      reason,
      status: 'RESOLVED',
    },
  };
  if (m) {
    const settled = settleMilestones(e, ctx, [
      { milestone: m, buyerPrincipal: buyerAmount ?? 0n, trigger: 'DISPUTE', reason },
    ]);
    return [resolved, ...settled];
  }
  return buyerAmount === null
    ? [resolved, released(e, ctx, 'DISPUTE', reason)]
    : [resolved, refunded(e, ctx, 'DISPUTE', buyerAmount, reason)];
}

/** What the ruling gives the buyer of `amount` (null: all to the seller). */
function buyerShare(c: CommandOf<'ResolveDispute'>, amount: bigint): bigint | null {
  switch (c.resolution) {
    case 'RELEASE':
      return null;
    case 'REFUND':
      return amount;
    case 'SPLIT': {
      const buyerAmount = parsePositiveMinor(c.buyerAmount, 'buyerAmount');
      if (buyerAmount >= amount) {
        throw invalid('buyerAmount', `must be less than the amount in dispute ${amount}; use REFUND for a full refund`);
      }
      return buyerAmount;
    }
    default: {
      const _exhaustive: never = c.resolution;
      throw invalid('resolution', `must be RELEASE, REFUND or SPLIT, got ${String(_exhaustive)}`);
    }
  }
}

function findDispute(e: Escrow, id: string): Dispute {
  const d = e.disputes.find((x) => x.id === id);
  if (!d) throw new DomainError('DISPUTE_NOT_FOUND', `dispute ${String(id)} not found on escrow ${e.id}`);
  return d;
}
