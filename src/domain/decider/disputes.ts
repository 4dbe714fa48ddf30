import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Dispute, Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { evidenceList, optionalText, text } from './guards.js';
import { refunded, released } from './holding.js';

// A party opens a dispute; an admin reviews it and rules: release, refund, or split between buyer and seller.

export function openDispute(c: CommandOf<'OpenDispute'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer', 'seller'], 'open a dispute');
  if (e.disputes.some((d) => d.status !== 'RESOLVED')) {
    throw new DomainError('DISPUTE_ALREADY_OPEN', 'this escrow already has an open dispute');
  }
  assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'open a dispute');
  return [
    {
      type: 'DisputeOpened',
      data: {
        disputeId: ctx.newId('dispute'),
        reason: text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.disputeReason),
        description: optionalText(c.description, 'description', TEXT_MAX_LENGTH.description),
        evidence: evidenceList(c.evidence, 'evidence'),
      },
    },
  ];
}

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
  assertStatus(e, ['DISPUTED'], 'resolve a dispute');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  const resolved = (buyerAmount: bigint | null): EventPayload => ({
    type: 'DisputeResolved',
    data: {
      disputeId: d.id,
      resolution: c.resolution,
      buyerAmount: buyerAmount === null ? null : buyerAmount.toString(),
      reason,
      status: 'RESOLVED',
    },
  });
  switch (c.resolution) {
    case 'RELEASE':
      return [resolved(null), released(e, ctx, 'DISPUTE', reason)];
    case 'REFUND':
      return [resolved(e.amount), refunded(e, ctx, 'DISPUTE', e.amount, reason)];
    case 'SPLIT': {
      const buyerAmount = parsePositiveMinor(c.buyerAmount, 'buyerAmount');
      if (buyerAmount >= e.amount) {
        throw invalid('buyerAmount', `must be less than the amount ${e.amount}; use REFUND for a full refund`);
      }
      return [resolved(buyerAmount), refunded(e, ctx, 'DISPUTE', buyerAmount, reason)];
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
