import type { DecideContext, EscrowCommand } from './commands.js';
import { DomainError, invalid } from './errors.js';
import type { DomainEvent, EventPayload } from './events.js';
import { TERMINAL, type Escrow, type EscrowStatus, type PaymentInstructions } from './types.js';
import { assertVisible } from './decider/actors.js';
import { cancelEscrow } from './decider/cancellation.js';
import { createEscrow, decideCreation as pendingCreation, type PendingCreation } from './decider/creation.js';
import { confirmDelivery, markDelivered } from './decider/delivery.js';
import { addDisputeEvidence, openDispute, resolveDispute, startDisputeReview } from './decider/disputes.js';
import { defineMilestones, deliverMilestone, releaseMilestone } from './decider/milestones.js';
import { revealVault, setVault } from './decider/vault.js';
import { confirmPayment, receivePayment, recordPaymentFailure } from './decider/payment.js';
import { refundEscrow, releaseEscrow } from './decider/releaseRefund.js';
import { recordSettlementResult, retrySettlement } from './decider/settlements.js';
import { flagEscrow, recordChargeback } from './decider/providerAlerts.js';
import { applySuspense, clearReviewFlag, refundSuspense } from './decider/suspense.js';
import { applyDeliveryTimeout, expireEscrow } from './decider/timeouts.js';

export { addDays } from './decider/deadlines.js';
export type { PendingCreation } from './decider/creation.js';
export { holdingOf, remainderOf, splitHolding } from './decider/holding.js';
export { milestoneShares } from './decider/milestones.js';
export { kycGate } from './decider/kyc.js';

/**
 * The escrow decider: given the current state (null before creation) and a command, returns the events that
 * happen, or throws a DomainError. Pure: time, caller, policy and ids come in through the context.
 * An empty list means the command is accepted and changes nothing (e.g. a second notice of the same payment).
 */
export function decide(command: EscrowCommand, state: Escrow | null, ctx: DecideContext): DomainEvent[] {
  const stamp = (payloads: EventPayload[]): DomainEvent[] =>
    payloads.map((p) => ({ ...p, occurredAt: ctx.now, actorId: ctx.actor.id }));

  if (command.type === 'CreateEscrow') {
    if (state) throw new DomainError('ESCROW_ALREADY_EXISTS', `escrow ${state.id} already exists`);
    return stamp(createEscrow(command, ctx));
  }
  if (!state) throw new DomainError('ESCROW_NOT_FOUND', 'escrow not found');
  assertVisible(state, ctx);
  return stamp(decideExisting(command, state, ctx));
}

/**
 * A create decided up to its payment instructions: `complete(payment)` returns the events decide() would. Lets the
 * command path ask the rail for instructions once the create is valid, deciding it once.
 */
export function decideCreation(
  command: Extract<EscrowCommand, { type: 'CreateEscrow' }>,
  state: Escrow | null,
  ctx: DecideContext,
): Omit<PendingCreation, 'complete'> & { complete(payment: PaymentInstructions): DomainEvent[] } {
  if (state) throw new DomainError('ESCROW_ALREADY_EXISTS', `escrow ${state.id} already exists`);
  const pending = pendingCreation(command, ctx);
  return {
    ...pending,
    complete: (payment) => pending.complete(payment).map((p) => ({ ...p, occurredAt: ctx.now, actorId: ctx.actor.id })),
  };
}

/** One handler per command, by family (see ./decider/); a command type without a case here does not compile. */
function decideExisting(
  c: Exclude<EscrowCommand, { type: 'CreateEscrow' }>,
  e: Escrow,
  ctx: DecideContext,
): EventPayload[] {
  switch (c.type) {
    case 'CancelEscrow':
      return cancelEscrow(c, e, ctx);
    case 'ConfirmPayment':
      return confirmPayment(c, e, ctx);
    case 'ReceivePayment':
      return receivePayment(c, e, ctx);
    case 'RecordPaymentFailure':
      return recordPaymentFailure(c, e, ctx);
    case 'MarkDelivered':
      return markDelivered(c, e, ctx);
    case 'ConfirmDelivery':
      return confirmDelivery(c, e, ctx);
    case 'ReleaseEscrow':
      return releaseEscrow(c, e, ctx);
    case 'RefundEscrow':
      return refundEscrow(c, e, ctx);
    case 'OpenDispute':
      return openDispute(c, e, ctx);
    case 'StartDisputeReview':
      return startDisputeReview(c, e, ctx);
    case 'ResolveDispute':
      return resolveDispute(c, e, ctx);
    case 'ExpireEscrow':
      return expireEscrow(c, e, ctx);
    case 'ApplyDeliveryTimeout':
      return applyDeliveryTimeout(c, e, ctx);
    case 'RecordSettlementResult':
      return recordSettlementResult(c, e, ctx);
    case 'RetrySettlement':
      return retrySettlement(c, e, ctx);
    case 'RefundSuspense':
      return refundSuspense(c, e, ctx);
    case 'ApplySuspense':
      return applySuspense(c, e, ctx);
    case 'ClearReviewFlag':
      return clearReviewFlag(c, e, ctx);
    case 'RecordChargeback':
      return recordChargeback(c, e, ctx);
    case 'FlagEscrow':
      return flagEscrow(c, e, ctx);
    case 'AddDisputeEvidence':
      return addDisputeEvidence(c, e, ctx);
    case 'DefineMilestones':
      return defineMilestones(c, e, ctx);
    case 'DeliverMilestone':
      return deliverMilestone(c, e, ctx);
    case 'ReleaseMilestone':
      return releaseMilestone(c, e, ctx);
    case 'SetVault':
      return setVault(c, e, ctx);
    case 'RevealVault':
      return revealVault(c, e, ctx);
    default: {
      const _exhaustive: never = c;
      throw invalid('type', `unknown command ${String((_exhaustive as { type: unknown }).type)}`);
    }
  }
}

export const isTerminal = (s: EscrowStatus): boolean => TERMINAL.has(s);
