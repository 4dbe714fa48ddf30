import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import type { Escrow, SuspenseItem } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { text } from './guards.js';

// Money in suspense leaves it only by an admin's refund to the buyer or by being applied to its escrow, each once;
// and an admin clears the review flag with a reason.

export function refundSuspense(c: CommandOf<'RefundSuspense'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'refund money in suspense');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  const item = openItem(e, c.suspenseId, 'refund');
  return [
    {
      type: 'SuspenseRefunded',
      data: {
        suspenseId: item.id,
        amount: item.amount.toString(),
        currency: item.currency,
        reason,
        settlement: {
          id: ctx.newId(`settlement:suspense-refund:${item.id}`),
          kind: 'REFUND',
          amount: item.amount.toString(),
          currency: item.currency,
          beneficiaryId: e.buyerId,
        },
      },
    },
  ];
}

export function applySuspense(c: CommandOf<'ApplySuspense'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'apply money in suspense');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  if (!Array.isArray(c.suspenseIds) || c.suspenseIds.length === 0) {
    throw invalid('suspenseIds', 'must name at least one suspense item of this escrow');
  }
  const ids = [...new Set(c.suspenseIds)];
  const items = ids.map((id) => openItem(e, id, 'apply'));
  assertStatus(e, ['AWAIT_FUNDS'], 'apply suspense to this escrow');
  const due = e.amount + e.buyerFee;
  const total = items.reduce((a, s) => a + s.amount, 0n);
  const currencies = [...new Set(items.map((s) => s.currency))];
  if (currencies.length !== 1 || currencies[0] !== e.currency || total !== due) {
    const got = currencies.length === 1 ? `${total} ${currencies[0]}` : `amounts in ${currencies.join(' and ')}`;
    throw invalid(
      'suspenseIds',
      `the items add up to ${got}; the escrow needs exactly ${due} ${e.currency} (amount + buyer fee): ` +
        'apply the items that make it up, or refund them',
    );
  }
  return [
    {
      type: 'SuspenseApplied',
      data: {
        suspenseIds: items.map((s) => s.id),
        amount: total.toString(),
        currency: e.currency,
        transactionId: items[0]!.transactionId,
        reason,
      },
    },
  ];
}

export function clearReviewFlag(c: CommandOf<'ClearReviewFlag'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'clear the review flag');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  if (!e.flaggedForReview) {
    throw new DomainError('INVALID_STATE_TRANSITION', `escrow ${e.id} is not flagged for review`, {
      currentStatus: e.status,
    });
  }
  return [{ type: 'ReviewFlagCleared', data: { reason } }];
}

function openItem(e: Escrow, id: unknown, what: string): SuspenseItem {
  const item = e.suspense.find((s) => s.id === id);
  if (!item) throw invalid('suspenseId', `escrow ${e.id} has no suspense item ${String(id)}`);
  if (item.status !== 'OPEN') {
    throw new DomainError('INVALID_STATE_TRANSITION', `cannot ${what}: suspense item ${item.id} is ${item.status}`, {
      currentStatus: item.status,
    });
  }
  return item;
}
