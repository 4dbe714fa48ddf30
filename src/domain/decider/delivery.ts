import type { DecideContext } from '../commands.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { evidenceList, fileRefs, optionalText, text } from './guards.js';
import { released } from './holding.js';
import { assertNoMilestones } from './milestones.js';

// The seller delivers; the buyer's confirmation releases the funds.

export function markDelivered(c: CommandOf<'MarkDelivered'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['seller', 'admin'], 'mark this escrow delivered');
  assertNoMilestones(e, 'mark the escrow delivered');
  assertStatus(e, ['FUNDS_HELD'], 'mark delivered');
  return [
    {
      type: 'EscrowDelivered',
      data: {
        deliveryId: ctx.newId('delivery'),
        title: text(c.title, 'title', 1, TEXT_MAX_LENGTH.deliveryTitle),
        description: optionalText(c.description, 'description', TEXT_MAX_LENGTH.description),
        evidence: evidenceList(c.evidence, 'evidence'),
        files: fileRefs(c.files, 'files'),
        autoRefundAt: addDays(ctx.now, ctx.policy.autoRefundDeadlineDays),
      },
    },
  ];
}

export function confirmDelivery(_c: CommandOf<'ConfirmDelivery'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['buyer'], 'confirm delivery');
  assertNoMilestones(e, 'confirm delivery of the whole escrow');
  assertStatus(e, ['DELIVERED'], 'confirm delivery');
  return [
    { type: 'DeliveryConfirmed', data: { confirmedBy: ctx.actor.id } },
    released(e, ctx, 'BUYER_CONFIRMED', null),
  ];
}
