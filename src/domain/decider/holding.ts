import type { DecideContext } from '../commands.js';
import type { EventPayload, MilestoneSplitData, RefundTrigger, ReleaseTrigger, SettlementData } from '../events.js';
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
 * `refundsFee` false: even a principal of the whole amount leaves the buyer fee earned (one milestone's part of a
 * partial refund of the escrow, see splitRest).
 */
export function splitParts(parts: Parts, buyerPrincipal: bigint, refundsFee = true): Split {
  if (refundsFee && buyerPrincipal === parts.amount) {
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

/** An escrow-wide release or refund: its split, and on a milestone escrow each unsettled milestone's part of it. */
export interface RestSplit {
  split: Split;
  milestones?: MilestoneSplitData[];
}

/**
 * Splits what the escrow still holds when `buyerPrincipal` of it goes back to the buyer. A milestone escrow allots
 * the principal over its unsettled milestones pro rata (milestoneShares, so no share is above its milestone's amount)
 * and splits each milestone on its own amount and fee shares; the escrow-wide figures are their sums, so the
 * milestones add up to the event exactly. Only a refund of all that is left returns the buyer fee shares.
 */
export function splitRest(e: Escrow, buyerPrincipal: bigint): RestSplit {
  if (e.milestones.length === 0) return { split: splitHolding(e, buyerPrincipal) };
  const open = e.milestones.filter((m) => !isSettled(m));
  if (open.length === 0) return { split: { buyerAmount: 0n, sellerAmount: 0n, feeAmount: 0n }, milestones: [] };
  const whole = buyerPrincipal === sumParts(open).amount;
  const principals = milestoneShares(
    buyerPrincipal,
    open.map((m) => m.amount),
  );
  const splits = open.map((m, i) => splitParts(m, principals[i]!, whole));
  return {
    split: splits.reduce((a, x) => ({
      buyerAmount: a.buyerAmount + x.buyerAmount,
      sellerAmount: a.sellerAmount + x.sellerAmount,
      feeAmount: a.feeAmount + x.feeAmount,
    })),
    milestones: open.map((m, i) => ({
      milestoneId: m.id,
      buyerAmount: splits[i]!.buyerAmount.toString(),
      sellerAmount: splits[i]!.sellerAmount.toString(),
      feeAmount: splits[i]!.feeAmount.toString(),
    })),
  };
}

/**
 * Shares of `total` in proportion to `amounts`, rounded so that they add up to `total` exactly: share i is
 * round(total × (a1+…+ai) / Σa) − round(total × (a1+…+ai−1) / Σa), half-even. Each share is within one minor unit
 * of its exact pro-rata value and never above its amount when `total` is not above Σa. Used for the milestones'
 * fee shares and for a partial refund's principal over the unsettled milestones.
 */
export function milestoneShares(total: bigint, amounts: readonly bigint[]): bigint[] {
  const sum = amounts.reduce((a, b) => a + b, 0n);
  let before = 0n;
  let cumulative = 0n;
  return amounts.map((a) => {
    cumulative += a;
    const upTo = divHalfEven(total * cumulative, sum);
    const share = upTo - before;
    before = upTo;
    return share;
  });
}

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
  const { split, milestones } = splitRest(e, 0n);
  return {
    type: 'EscrowReleased',
    data: {
      trigger,
      reason,
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
      ...(milestones ? { milestones } : {}),
    },
  };
}

/**
 * `buyerPrincipal` of what is left goes back to the buyer, the rest to the seller (see splitRest). FULL when the
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
  const { split, milestones } = splitRest(e, buyerPrincipal);
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
      ...(milestones ? { milestones } : {}),
    },
  };
}
