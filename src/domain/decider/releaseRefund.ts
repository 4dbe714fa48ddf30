import type { DecideContext } from '../commands.js';
import { DomainError } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { optionalText, text } from './guards.js';
import { refunded, released } from './holding.js';

// An admin releases a delivered escrow; the seller (in full) or an admin (in full or in part) refunds it.

export function releaseEscrow(c: CommandOf<'ReleaseEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'release funds');
  assertStatus(e, ['DELIVERED'], 'release');
  return [released(e, ctx, 'ADMIN', optionalText(c.reason, 'reason', TEXT_MAX_LENGTH.reason))];
}

export function refundEscrow(c: CommandOf<'RefundEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['seller', 'admin'], 'refund this escrow');
  assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'refund');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  const principal = c.refundAmount === undefined ? e.amount : parsePositiveMinor(c.refundAmount, 'refundAmount');
  if (principal > e.amount) {
    throw new DomainError('REFUND_EXCEEDS_HELD', `refundAmount ${principal} exceeds the escrowed amount ${e.amount}`, {
      errors: [{ field: 'refundAmount', message: `must be at most ${e.amount}` }],
    });
  }
  if (ctx.actor.role !== 'admin' && principal !== e.amount) {
    throw new DomainError('FORBIDDEN', 'the seller may only refund in full');
  }
  return [refunded(e, ctx, ctx.actor.role === 'admin' ? 'ADMIN' : 'SELLER', principal, reason)];
}
