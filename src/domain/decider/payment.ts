import type { DecideContext } from '../commands.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parseMinor } from '../money.js';
import type { Escrow } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { text } from './guards.js';

// Funding: an admin confirms a payment by hand, or a verified provider webhook reports one (or its failure).

export function confirmPayment(c: CommandOf<'ConfirmPayment'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'confirm a payment');
  assertStatus(e, ['AWAIT_FUNDS'], 'confirm payment');
  return [
    {
      type: 'EscrowFundsHeld',
      data: {
        amount: (e.amount + e.buyerFee).toString(),
        currency: e.currency,
        transactionId: text(c.transactionId, 'transactionId', 1, TEXT_MAX_LENGTH.transactionId),
        source: 'MANUAL',
        providerEventId: null,
        evidence: text(c.evidence, 'evidence', 1, TEXT_MAX_LENGTH.paymentEvidence),
      },
    },
  ];
}

/**
 * A provider's payment notice. A payment that does not fit (wrong amount or currency, or an escrow past funding) is
 * recorded for review rather than refused: the money has moved either way.
 */
export function receivePayment(c: CommandOf<'ReceivePayment'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['system'], 'report a provider payment');
  const paid = parseMinor(c.amount, 'amount');
  if (e.fundingTransactionId === c.transactionId) return []; // another notice of the payment already applied
  if (e.status !== 'AWAIT_FUNDS') {
    return [
      {
        type: 'EscrowFlaggedForReview',
        data: {
          reason: 'PAYMENT_IN_UNEXPECTED_STATE',
          detail: `payment ${c.transactionId} of ${paid} ${c.currency} arrived while ${e.status}`,
        },
      },
    ];
  }
  const expected = e.amount + e.buyerFee;
  if (paid !== expected || c.currency !== e.currency) {
    return [
      {
        type: 'PaymentMismatchRecorded',
        data: {
          expectedAmount: expected.toString(),
          expectedCurrency: e.currency,
          paidAmount: paid.toString(),
          paidCurrency: c.currency,
          transactionId: c.transactionId,
          providerEventId: c.providerEventId,
        },
      },
    ];
  }
  return [
    {
      type: 'EscrowFundsHeld',
      data: {
        amount: paid.toString(),
        currency: c.currency,
        transactionId: c.transactionId,
        source: 'WEBHOOK',
        providerEventId: c.providerEventId,
        evidence: null,
      },
    },
  ];
}

export function recordPaymentFailure(
  c: CommandOf<'RecordPaymentFailure'>,
  e: Escrow,
  ctx: DecideContext,
): EventPayload[] {
  assertActor(e, ctx, ['system'], 'report a failed payment');
  if (e.status !== 'AWAIT_FUNDS') return []; // a late failure notice for a settled question changes nothing
  return [
    {
      type: 'PaymentFailed',
      data: {
        transactionId: c.transactionId ?? null,
        providerEventId: c.providerEventId,
        reason: text(c.reason, 'reason', 1, TEXT_MAX_LENGTH.reason),
      },
    },
  ];
}
