import type { DecideContext } from '../commands.js';
import type { EventPayload, RefundTrigger, ReleaseTrigger, SettlementData } from '../events.js';
import { divHalfEven } from '../money.js';
import type { Escrow, Milestone } from '../types.js';

// Money out of holding: how a release or refund splits what the escrow holds, and the settlements that pay it out.

export const holdingOf = (e: Escrow): bigint => e.fundedAmount - e.releasedAmount - e.refundedAmount - e.feeAmount;

/** A principal with the buyer and seller fees charged on it: the whole escrow, one milestone, or what is left. */
export interface Parts {
  amount: bigint;
  buyerFee: bigint;
  sellerFee: bigint;
}

export interface Split {
  buyerAmount: bigint;
  sellerAmount: bigint;
  feeAmount: bigint;
}

export const isSettled = (m: Milestone): boolean => m.status === 'RELEASED' || m.status === 'REFUNDED';

/**
 * What a release or refund of the escrow applies to: the whole escrow, or for a milestone escrow the milestones not
 * yet released or refunded (their amounts and fee shares; SPEC §3.2 "the unreleased remainder").
 */
export function remainderOf(e: Escrow): Parts {
  if (e.milestones.length === 0) return { amount: e.amount, buyerFee: e.buyerFee, sellerFee: e.sellerFee };
  return sumParts(e.milestones.filter((m) => !isSettled(m)));
}

export const sumParts = (ps: readonly Parts[]): Parts =>
  ps.reduce(
    (a, m) => ({
      amount: a.amount + m.amount,
      buyerFee: a.buyerFee + m.buyerFee,
      sellerFee: a.sellerFee + m.sellerFee,
    }),
    {
      amount: 0n,
      buyerFee: 0n,
      sellerFee: 0n,
    },
  );

/**
 * Splits `parts` when `buyerPrincipal` of its amount goes back to the buyer and the rest to the seller. A full refund
 * returns everything the buyer paid for it, buyer fee included; otherwise the buyer fee is earned and the seller fee
 * is charged pro rata on the seller's share (half-even), so buyer + seller + fee = amount + buyer fee, always.
 */
export function splitParts(parts: Parts, buyerPrincipal: bigint): Split {
  if (buyerPrincipal === parts.amount) {
    return { buyerAmount: parts.amount + parts.buyerFee, sellerAmount: 0n, feeAmount: 0n };
  }
  const sellerPrincipal = parts.amount - buyerPrincipal;
  const sellerFee =
    sellerPrincipal === parts.amount ? parts.sellerFee : prorate(parts.sellerFee, sellerPrincipal, parts.amount);
  return {
    buyerAmount: buyerPrincipal,
    sellerAmount: sellerPrincipal - sellerFee,
    feeAmount: parts.buyerFee + sellerFee,
  };
}

/** splitParts over what the escrow still holds (remainderOf). */
export const splitHolding = (e: Escrow, buyerPrincipal: bigint): Split => splitParts(remainderOf(e), buyerPrincipal);

const prorate = (fee: bigint, part: bigint, whole: bigint): bigint => divHalfEven(fee * part, whole);

export function settlementsFor(e: Escrow, split: Split, ctx: DecideContext, tag = ''): SettlementData[] {
  const out: SettlementData[] = [];
  if (split.sellerAmount > 0n) {
    out.push({
      id: ctx.newId(`settlement:payout${tag}`),
      kind: 'PAYOUT',
      amount: split.sellerAmount.toString(),
      currency: e.currency,
      beneficiaryId: e.sellerId,
    });
  }
  if (split.buyerAmount > 0n) {
    out.push({
      id: ctx.newId(`settlement:refund${tag}`),
      kind: 'REFUND',
      amount: split.buyerAmount.toString(),
      currency: e.currency,
      beneficiaryId: e.buyerId,
    });
  }
  return out;
}

/** Everything held goes to the seller (less the fees). */
export function released(e: Escrow, ctx: DecideContext, trigger: ReleaseTrigger, reason: string | null): EventPayload {
  const split = splitHolding(e, 0n);
  return {
    type: 'EscrowReleased',
    data: {
      trigger,
      reason,
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
    },
  };
}

/**
 * `buyerPrincipal` of what is left goes back to the buyer, the rest to the seller (see splitParts). FULL when the
 * buyer gets back everything the escrow ever held (nothing was released before), else PARTIAL.
 */
export function refunded(
  e: Escrow,
  ctx: DecideContext,
  trigger: RefundTrigger,
  buyerPrincipal: bigint,
  reason: string | null,
): EventPayload {
  const rest = remainderOf(e);
  const split = splitParts(rest, buyerPrincipal);
  const full = buyerPrincipal === rest.amount && e.releasedAmount === 0n && e.feeAmount === 0n;
  return {
    type: 'EscrowRefunded',
    data: {
      trigger,
      refundType: full ? 'FULL' : 'PARTIAL',
      reason,
      buyerAmount: split.buyerAmount.toString(),
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
    },
  };
}
