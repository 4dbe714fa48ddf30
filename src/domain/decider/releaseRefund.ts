import type { DecideContext } from '../commands.js';
import { DomainError } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { optionalText, text } from './guards.js';
import { refunded, released, remainderOf } from './holding.js';

// An admin releases a delivered escrow; the seller (in full) or an admin (in full or in part) refunds it.

export function releaseEscrow(c: CommandOf<'ReleaseEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'release funds');
  // a milestone escrow stays FUNDS_HELD while its milestones go on: an admin may release all that is left
  assertStatus(e, e.milestones.length > 0 ? ['FUNDS_HELD'] : ['DELIVERED'], 'release');
  assertNoOpenDispute(e, 'release');
  return [released(e, ctx, 'ADMIN', optionalText(c.reason, 'reason', TEXT_MAX_LENGTH.reason))];
}

export function refundEscrow(c: CommandOf<'RefundEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['seller', 'admin'], 'refund this escrow');
  assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'refund');
  assertNoOpenDispute(e, 'refund');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason);
  // a milestone escrow refunds what is not yet released (SPEC §3.2)
  const held = remainderOf(e).amount;
  const what = e.milestones.length > 0 ? 'amount of the milestones not yet settled' : 'escrowed amount';
  const principal = c.refundAmount === undefined ? held : parsePositiveMinor(c.refundAmount, 'refundAmount');
  if (principal > held) {
    throw new DomainError('REFUND_EXCEEDS_HELD', `refundAmount ${principal} exceeds the ${what} ${held}`, {
      errors: [{ field: 'refundAmount', message: `must be at most ${held}` }],
    });
  }
  if (ctx.actor.role !== 'admin' && principal !== held) {
    throw new DomainError('FORBIDDEN', 'the seller may only refund in full');
  }
  return [refunded(e, ctx, ctx.actor.role === 'admin' ? 'ADMIN' : 'SELLER', principal, reason)];
}

/** A milestone in dispute waits for the admin's ruling on it; the rest of the escrow cannot be settled around it. */
function assertNoOpenDispute(e: Escrow, what: string): void {
  const open = e.disputes.find((d) => d.status !== 'RESOLVED');
  if (open && e.status !== 'DISPUTED') {
    throw new DomainError(
      'INVALID_STATE_TRANSITION',
      `cannot ${what}: dispute ${open.id} on milestone ${String(open.milestoneId)} is ${open.status}; resolve it first`,
      { currentStatus: e.status },
    );
  }
}
