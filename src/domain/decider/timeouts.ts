import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { refunded, released } from './holding.js';
import { overdueMilestones, settleMilestones } from './milestones.js';

// Deadlines passing: an unpaid escrow expires; a delivery the buyer never confirmed is released or refunded.
// Whoever submits them (the timeout processor or an admin), each checks its deadline against the command's `now`.

export function expireEscrow(_c: CommandOf<'ExpireEscrow'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['system', 'admin'], 'expire an escrow');
  assertStatus(e, ['AWAIT_FUNDS'], 'expire');
  if (Date.parse(ctx.now) < Date.parse(e.expiresAt)) {
    throw new DomainError('DEADLINE_NOT_REACHED', `payment deadline ${e.expiresAt} has not passed`);
  }
  return [{ type: 'EscrowCancelled', data: { reason: 'TIMEOUT', note: null } }];
}

export function applyDeliveryTimeout(
  c: CommandOf<'ApplyDeliveryTimeout'>,
  e: Escrow,
  ctx: DecideContext,
): EventPayload[] {
  assertActor(e, ctx, ['system', 'admin'], 'apply the delivery timeout');
  if (e.milestones.length > 0) return milestoneTimeouts(c, e, ctx);
  assertStatus(e, ['DELIVERED'], 'apply the delivery timeout');
  if (e.autoRefundAt === null || Date.parse(ctx.now) < Date.parse(e.autoRefundAt)) {
    throw new DomainError('DEADLINE_NOT_REACHED', `confirmation deadline ${String(e.autoRefundAt)} has not passed`);
  }
  const reason = 'buyer did not confirm delivery before the deadline';
  if (c.action === 'RELEASE') return [released(e, ctx, 'TIMEOUT', reason)];
  if (c.action === 'REFUND') return [refunded(e, ctx, 'TIMEOUT', e.amount, reason)];
  throw invalid('action', 'must be REFUND or RELEASE');
}

/** Every delivered milestone past its confirmation deadline is released or refunded by the policy, oldest first. */
function milestoneTimeouts(c: CommandOf<'ApplyDeliveryTimeout'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertStatus(e, ['FUNDS_HELD'], 'apply the delivery timeout');
  if (c.action !== 'RELEASE' && c.action !== 'REFUND') throw invalid('action', 'must be REFUND or RELEASE');
  const due = overdueMilestones(e, ctx.now);
  if (due.length === 0) {
    throw new DomainError('DEADLINE_NOT_REACHED', `confirmation deadline ${String(e.autoRefundAt)} has not passed`);
  }
  const reason = 'buyer did not confirm the milestone before its deadline';
  return settleMilestones(
    e,
    ctx,
    due.map((m) => ({
      milestone: m,
      buyerPrincipal: c.action === 'REFUND' ? m.amount : 0n,
      trigger: 'TIMEOUT',
      reason,
    })),
  );
}
