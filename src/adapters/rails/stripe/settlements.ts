import type Stripe from 'stripe';
import type { SettlementOrder, SettlementOutcome } from '../../../app/ports/index.js';

/** What a refund is of: the charge (ch_/py_), or the payment intent when that is all the engine knows. */
export function refundTarget(order: SettlementOrder): { charge: string } | { payment_intent: string } {
  const funding = order.fundingTransactionId;
  if (funding && !funding.startsWith('pi_')) return { charge: funding };
  return { payment_intent: funding ?? order.paymentReference };
}

/** A refund's status as the settlement's outcome: succeeded, still on its way, or refused for good. */
export function refundOutcome(re: Stripe.Refund): SettlementOutcome {
  switch (re.status) {
    case 'succeeded':
      return { status: 'SUCCEEDED', providerReference: re.id };
    case 'failed':
    case 'canceled':
      return {
        status: 'FAILED',
        reason: `stripe: refund ${re.id} ${re.status}: ${re.failure_reason ?? 'no reason given'}`,
        retryable: false,
      };
    case 'pending':
    case 'requires_action':
    case null:
    default:
      // pending, requires_action: the final word comes by webhook (refund.updated / charge.refunded) or lookup.
      return { status: 'SUBMITTED', providerReference: re.id };
  }
}

const ours = (order: SettlementOrder) => (o: { metadata?: Stripe.Metadata | null }) =>
  o.metadata?.settlement_id === order.settlementId;

/**
 * Our transfer or refund for this settlement at Stripe, found by metadata.settlement_id: transfers by the escrow's
 * transfer_group, refunds by the charge (or payment intent). Pages through every one of them.
 */
export async function findSettlement(
  stripe: Stripe,
  order: SettlementOrder,
): Promise<{ outcome: SettlementOutcome } | null> {
  if (order.kind === 'PAYOUT') {
    for await (const tr of stripe.transfers.list({ transfer_group: order.escrowId, limit: 100 })) {
      if (ours(order)(tr)) return { outcome: { status: 'SUCCEEDED', providerReference: tr.id } };
    }
    return null;
  }
  for await (const re of stripe.refunds.list({ ...refundTarget(order), limit: 100 })) {
    // A refund an earlier round left failed or canceled is history: an admin retry is a new round with its own key.
    const thisRound = re.metadata?.settlement_key === order.idempotencyKey;
    const ended = re.status === 'failed' || re.status === 'canceled';
    if (ours(order)(re) && (thisRound || !ended)) return { outcome: refundOutcome(re) };
  }
  return null;
}
