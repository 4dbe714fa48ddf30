import type { DecideContext } from '../commands.js';
import { invalid } from '../errors.js';
import type { EventPayload } from '../events.js';
import { TEXT_MAX_LENGTH } from '../limits.js';
import { parsePositiveMinor } from '../money.js';
import type { Escrow, SuspenseReason } from '../types.js';
import { assertActor, assertStatus } from './actors.js';
import type { CommandOf } from './command.js';
import { text } from './guards.js';
import { refunded } from './holding.js';
import { evolve } from '../evolve.js';

// Funding: an admin confirms a payment by hand, or a verified provider webhook reports one (or its failure). Both
// go through paymentReceived(): the money has moved either way, so what funds nothing is booked to suspense.

/** A payment as received, whoever reports it. */
export interface ReceivedPayment {
  amount: bigint;
  currency: string;
  transactionId: string;
  source: 'WEBHOOK' | 'MANUAL';
  providerEventId: string | null;
  evidence: string | null;
}

const CURRENCY = /^[A-Z]{3,5}$/;

export function confirmPayment(c: CommandOf<'ConfirmPayment'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['admin'], 'confirm a payment');
  // An admin's confirmation is a decision to fund: refused once the escrow is past funding (a double click, or a race
  // with a cancel, must not book money twice). A webhook, the provider's word, is never refused.
  assertStatus(e, ['AWAIT_FUNDS'], 'confirm payment');
  const transactionId = text(c.transactionId, 'transactionId', 1, TEXT_MAX_LENGTH.transactionId);
  const evidence = text(c.evidence, 'evidence', 1, TEXT_MAX_LENGTH.paymentEvidence);
  if (c.amount === undefined) throw invalid('amount', 'is required: the amount received, in minor units');
  const amount = parsePositiveMinor(c.amount, 'amount');
  if (typeof c.currency !== 'string' || !CURRENCY.test(c.currency)) {
    throw invalid('currency', 'is required: the currency received, e.g. "USD"');
  }
  const booked = e.suspense.find((x) => x.transactionId === transactionId);
  if (booked) {
    throw invalid(
      'transactionId',
      `is already in suspense as item ${booked.id} (${booked.amount} ${booked.currency}): apply it to the escrow or ` +
        'refund it instead of confirming it again',
    );
  }
  return paymentReceived(e, ctx, {
    amount,
    currency: c.currency,
    transactionId,
    source: 'MANUAL',
    providerEventId: null,
    evidence,
  });
}

/**
 * A provider's payment notice (a verified webhook). With a risk screen of the paying address (USDC): REJECT funds and
 * refunds in one commit (the refund path: the money goes back where it came from, the escrow is never seen held);
 * REVIEW funds it flagged for an admin; a payment booked to suspense is flagged with the screen either way.
 */
export function receivePayment(c: CommandOf<'ReceivePayment'>, e: Escrow, ctx: DecideContext): EventPayload[] {
  assertActor(e, ctx, ['system'], 'report a provider payment');
  // Providers write currency codes in either case (Stripe: "usd"); a code that is none, or a payment of nothing, is
  // refused (a failed webhook operators see) rather than booked as an item no refund or apply could ever resolve.
  const currency = typeof c.currency === 'string' ? c.currency.toUpperCase() : '';
  if (!CURRENCY.test(currency)) throw invalid('currency', 'must be a currency code of 3 to 5 letters, e.g. "USD"');
  const events = paymentReceived(e, ctx, {
    amount: parsePositiveMinor(c.amount, 'amount'),
    currency,
    transactionId: c.transactionId,
    source: 'WEBHOOK',
    providerEventId: c.providerEventId,
    evidence: null,
  });
  const screen = c.screening;
  if (!screen || screen.verdict === 'PASS' || events.length === 0) return events;
  const detail =
    `risk screen ${screen.verdict} by ${screen.screener}` +
    (screen.score === null ? '' : ` (score ${screen.score})`) +
    `: ${screen.detail}`.slice(0, 400);
  const funded = events.find((x) => x.type === 'EscrowFundsHeld');
  if (screen.verdict === 'REJECT' && funded) {
    const held = evolve(e, { ...funded, escrowId: e.id, occurredAt: ctx.now, actorId: ctx.actor.id });
    return [...events, refunded(held, ctx, 'RISK', held.amount, detail)];
  }
  const reason = screen.verdict === 'REJECT' ? 'RISK_REJECTED' : 'RISK_REVIEW';
  return [...events, { type: 'EscrowFlaggedForReview', data: { reason, detail } }];
}

/**
 * The one set of rules for money received: a payment of exactly amount + buyerFee in the escrow's currency funds an
 * escrow awaiting funds; anything else (a mismatch, a payment after CANCELLED, a second payment) is booked to
 * suspense and flagged. Another notice of a transaction already applied or booked changes nothing.
 */
export function paymentReceived(e: Escrow, ctx: DecideContext, p: ReceivedPayment): EventPayload[] {
  if (e.fundingTransactionId === p.transactionId) return [];
  if (e.suspense.some((s) => s.transactionId === p.transactionId)) return [];
  if (e.status !== 'AWAIT_FUNDS') {
    const reason: SuspenseReason =
      e.status !== 'CANCELLED'
        ? 'DUPLICATE_PAYMENT'
        : e.cancelReason === 'TIMEOUT'
          ? 'ESCROW_EXPIRED'
          : 'ESCROW_CANCELLED';
    return [
      suspended(ctx, p, reason),
      {
        type: 'EscrowFlaggedForReview',
        data: {
          reason: 'PAYMENT_IN_UNEXPECTED_STATE',
          detail: `payment ${p.transactionId} of ${p.amount} ${p.currency} arrived while ${e.status}; booked to suspense`,
        },
      },
    ];
  }
  const expected = e.amount + e.buyerFee;
  if (p.amount !== expected || p.currency !== e.currency) {
    return [
      {
        type: 'PaymentMismatchRecorded',
        data: {
          expectedAmount: expected.toString(),
          expectedCurrency: e.currency,
          paidAmount: p.amount.toString(),
          paidCurrency: p.currency,
          transactionId: p.transactionId,
          providerEventId: p.providerEventId,
        },
      },
      suspended(ctx, p, p.currency !== e.currency ? 'CURRENCY_MISMATCH' : 'AMOUNT_MISMATCH'),
    ];
  }
  return [
    {
      type: 'EscrowFundsHeld',
      data: {
        amount: p.amount.toString(),
        currency: p.currency,
        transactionId: p.transactionId,
        source: p.source,
        providerEventId: p.providerEventId,
        evidence: p.evidence,
      },
    },
  ];
}

function suspended(ctx: DecideContext, p: ReceivedPayment, reason: SuspenseReason): EventPayload {
  return {
    type: 'SuspenseBooked',
    data: {
      suspenseId: ctx.newId(`suspense:${p.transactionId}`),
      amount: p.amount.toString(),
      currency: p.currency,
      transactionId: p.transactionId,
      providerEventId: p.providerEventId,
      source: p.source,
      reason,
    },
  };
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
