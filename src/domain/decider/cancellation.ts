import type { DecideContext } from '../commands.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { optionalText } from './guards.js';

// A party or an admin calls an escrow off before it is funded (an unpaid escrow that runs out of time: timeouts.ts).

export function cancelEscrow(c: CommandOf<'CancelEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer', 'seller', 'admin'], 'cancel this escrow');
  assertStatus(e, ['AWAIT_FUNDS'], 'cancel');
  const buyer = ctx.actor.role === 'user' && ctx.actor.id === e.buyerId;
  const reason = ctx.actor.role === 'admin' ? 'ADMIN' : buyer ? 'BUYER_CANCELLED' : 'SELLER_CANCELLED';
  return [
    { type: 'EscrowCancelled', data: { reason, note: optionalText(c.reason, 'reason', TEXT_MAX_LENGTH.reason) } },
  ];
}
