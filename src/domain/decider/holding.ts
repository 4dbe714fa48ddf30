import type { DecideContext } from '../commands.js';
import type { EventPayload, RefundTrigger, ReleaseTrigger, SettlementData } from '../events.js';
import { divHalfEven } from '../money.js';
import type { Escrow } from '../types.js';

// Money out of holding: how a release or refund splits what the escrow holds, and the settlements that pay it out.

export const holdingOf = (e: Escrow): bigint => e.fundedAmount - e.releasedAmount - e.refundedAmount - e.feeAmount;

interface Split {
  buyerAmount: bigint;
  sellerAmount: bigint;
  feeAmount: bigint;
}

/**
 * Splits what the escrow holds when `buyerPrincipal` of the amount goes back to the buyer and the rest to the seller.
 * A full refund returns everything the buyer paid, buyer fee included; otherwise the buyer fee is earned and the
 * seller fee is charged pro rata on the seller's share (half-even), so buyer + seller + fee = funded, always.
 */
export function splitHolding(e: Escrow, buyerPrincipal: bigint): Split {
  if (buyerPrincipal === e.amount) return { buyerAmount: e.fundedAmount, sellerAmount: 0n, feeAmount: 0n };
  const sellerPrincipal = e.amount - buyerPrincipal;
  const sellerFee = sellerPrincipal === e.amount ? e.sellerFee : prorate(e.sellerFee, sellerPrincipal, e.amount);
  return {
    buyerAmount: buyerPrincipal,
    sellerAmount: sellerPrincipal - sellerFee,
    feeAmount: e.buyerFee + sellerFee,
  };
}

const prorate = (fee: bigint, part: bigint, whole: bigint): bigint => divHalfEven(fee * part, whole);

function settlementsFor(e: Escrow, split: Split, ctx: DecideContext): SettlementData[] {
  const out: SettlementData[] = [];
  if (split.sellerAmount > 0n) {
    out.push({
      id: ctx.newId('settlement:payout'),
      kind: 'PAYOUT',
      amount: split.sellerAmount.toString(),
      currency: e.currency,
      beneficiaryId: e.sellerId,
    });
  }
  if (split.buyerAmount > 0n) {
    out.push({
      id: ctx.newId('settlement:refund'),
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

/** `buyerPrincipal` of the amount goes back to the buyer, the rest to the seller (see splitHolding). */
export function refunded(
  e: Escrow,
  ctx: DecideContext,
  trigger: RefundTrigger,
  buyerPrincipal: bigint,
  reason: string | null,
): EventPayload {
  const split = splitHolding(e, buyerPrincipal);
  return {
    type: 'EscrowRefunded',
    data: {
      trigger,
      refundType: buyerPrincipal === e.amount ? 'FULL' : 'PARTIAL',
      reason,
      buyerAmount: split.buyerAmount.toString(),
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
    },
  };
}
