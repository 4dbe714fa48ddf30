import type { DecideContext } from '../commands.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import type { Escrow } from '../types.js';
import { assertActor } from './actors.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { text } from './guards.js';

// What a provider tells us that needs a person: a chargeback on the buyer's payment, a payout taken back.

/**
 * A card chargeback (Stripe `charge.dispute.created`): the escrow is flagged whatever its state, and while the money
 * is still held (FUNDS_HELD, DELIVERED) and no dispute is open, a dispute is opened so nothing is released until an
 * admin rules. A chargeback on money already paid out is for operators to recover: flagged, the state stays.
 */
export function recordChargeback(c: CommandOf<'RecordChargeback'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['system'], 'report a chargeback');
  const reason = text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.disputeReason - 'Chargeback: '.length);
  const detail = `chargeback ${c.providerEventId} of ${String(c.amount)} ${String(c.currency).toUpperCase()}: ${reason}`;
  const events: EventPayload[] = [{ type: 'EscrowFlaggedForReview', data: { reason: 'CHARGEBACK', detail } }];
  const held = e.status === 'FUNDS_HELD' || e.status === 'DELIVERED';
  if (held && !e.disputes.some((d) => d.status !== 'RESOLVED')) {
    events.push({
      type: 'DisputeOpened',
      data: {
        disputeId: ctx.newId('dispute:chargeback'),
        reason: `Chargeback: ${reason}`,
        description: `The buyer's bank disputes the payment (${detail}). Answer it at the provider before ruling.`,
        evidence: [],
        milestoneId: null,
        files: [],
        respondBy: addDays(ctx.now, ctx.policy.disputeRespondDays),
        slaDueAt: addDays(ctx.now, ctx.policy.disputeSlaDays),
      },
    });
  }
  return events;
}

/** Flags the escrow for an operator (a provider event that changes no state but must be seen). */
export function flagEscrow(c: CommandOf<'FlagEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['system', 'admin'], 'flag this escrow');
  return [
    {
      type: 'EscrowFlaggedForReview',
      data: {
        reason: text(c.reason, 'reason', 1, 64),
        detail: text(c.detail, 'detail', 1, TEXT_MAX_LENGTH.reason),
      },
    },
  ];
}
