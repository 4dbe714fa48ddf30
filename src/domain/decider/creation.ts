import type { DecideContext } from '../commands.js';
import { DomainError, invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import type { PaymentInstructions, Rail } from '../types.js';
import { computeFees } from '../fees.js';
import { parseMinor, parsePositiveMinor } from '../money.js';
import type { CommandOf } from './command.js';
import { addDays } from './deadlines.js';
import { identifier, metadataOf } from './guards.js';
import { assertKyc } from './kyc.js';
import { milestonesData } from './milestones.js';
import { assertWithinRailLimits } from './railLimits.js';

// Opening an escrow: who may, on which rail and currency, for how much, with which fees and deadline.

/** A create that passed every rule and waits only for the rail's payment instructions. */
export interface PendingCreation {
  rail: Rail;
  currency: string;
  /** What the buyer must pay: amount + buyer fee, minor units. */
  due: bigint;
  /** The EscrowCreated event with the rail's instructions (and MilestonesDefined for a milestone escrow). */
  complete(payment: PaymentInstructions): EventPayload[];
}

export function createEscrow(c: CommandOf<'CreateEscrow'>, ctx: DecideContext): EventPayload[] {
  return decideCreation(c, ctx).complete(c.payment as PaymentInstructions);
}

/**
 * Decides a create up to the payment instructions, which the command path asks the rail for only once the create
 * is known to be valid (never for a refused one) and outside any transaction.
 */
export function decideCreation(c: CommandOf<'CreateEscrow'>, ctx: DecideContext): PendingCreation {
  const { actor, policy } = ctx;
  const offerId = identifier(c.offerId, 'offerId');
  const contractId = c.contractId == null ? null : identifier(c.contractId, 'contractId');
  const buyerId = identifier(c.buyerId, 'buyerId');
  const sellerId = identifier(c.sellerId, 'sellerId');
  if (buyerId === sellerId) throw invalid('sellerId', 'buyer and seller must be different');
  if (actor.role === 'user' && actor.id !== buyerId && actor.id !== sellerId) {
    throw new DomainError('FORBIDDEN', 'a user may only open an escrow they are the buyer or seller of');
  }
  if (actor.role === 'system') throw new DomainError('FORBIDDEN', 'the system does not open escrows');
  assertRailCurrency(c, ctx);
  const amount = parsePositiveMinor(c.amount, 'amount');
  const { buyerFee, sellerFee } = feesOf(c, ctx, amount);
  // The rail's limits bound what it charges: the amount with the buyer fee (policy.railLimits).
  assertWithinRailLimits(
    { rail: c.rail, currency: c.currency, amount, buyerFee, buyerFeeSet: c.buyerFee !== undefined },
    policy,
  );
  assertKyc({ buyerId, sellerId, currency: c.currency, amount }, c.kyc, ctx);
  const milestones =
    c.milestones === undefined ? null : milestonesData(c.milestones, { amount, buyerFee, sellerFee }, ctx);
  const data = {
    offerId,
    contractId,
    buyerId,
    sellerId,
    rail: c.rail,
    currency: c.currency,
    amount: amount.toString(),
    buyerFee: buyerFee.toString(),
    sellerFee: sellerFee.toString(),
    expiresAt: addDays(ctx.now, policy.paymentDeadlineDays),
    metadata: metadataOf(c.metadata),
  };
  return {
    rail: c.rail,
    currency: c.currency,
    due: amount + buyerFee,
    complete: (payment) => {
      if (typeof payment?.reference !== 'string' || payment.reference.length === 0) {
        throw invalid('payment', 'payment instructions with a reference are required');
      }
      const created: EventPayload = { type: 'EscrowCreated', data: { ...data, payment } };
      return milestones ? [created, milestones] : [created];
    },
  };
}

function assertRailCurrency(c: CommandOf<'CreateEscrow'>, { policy }: DecideContext): void {
  const railCurrencies = Object.hasOwn(policy.railCurrencies, c.rail) ? policy.railCurrencies[c.rail] : undefined;
  if (!railCurrencies) throw invalid('rail', `must be one of ${Object.keys(policy.railCurrencies).join(', ')}`);
  if (!railCurrencies.includes(c.currency)) {
    throw new DomainError('CURRENCY_NOT_SUPPORTED', `rail ${c.rail} does not accept ${String(c.currency)}`, {
      errors: [{ field: 'currency', message: `must be one of ${railCurrencies.join(', ')} for ${c.rail}` }],
    });
  }
}

/** The policy's fees for the rail, unless a service or admin caller sets them. */
function feesOf(
  c: CommandOf<'CreateEscrow'>,
  { actor, policy }: DecideContext,
  amount: bigint,
): { buyerFee: bigint; sellerFee: bigint } {
  const overridesFees = c.buyerFee !== undefined || c.sellerFee !== undefined;
  if (overridesFees && actor.role === 'user') {
    throw new DomainError('FORBIDDEN', 'only service or admin callers may set fees');
  }
  const defaults = computeFees(policy.fees, c.rail, amount);
  const buyerFee = c.buyerFee === undefined ? defaults.buyerFee : parseMinor(c.buyerFee, 'buyerFee');
  const sellerFee = c.sellerFee === undefined ? defaults.sellerFee : parseMinor(c.sellerFee, 'sellerFee');
  if (sellerFee > amount) {
    throw c.sellerFee === undefined
      ? invalid('amount', `must be at least the ${c.rail} seller fee of ${sellerFee}`)
      : invalid('sellerFee', 'must not exceed the amount');
  }
  return { buyerFee, sellerFee };
}
