import { WebhookPayloadError, type WebhookAction } from '../../../app/ports/index.js';

/** The parts of Stripe objects the rail reads, as they arrive in an event (JSON, not trusted to be complete). */
interface StripeObject {
  id?: unknown;
  object?: unknown;
  amount?: unknown;
  amount_received?: unknown;
  amount_reversed?: unknown;
  currency?: unknown;
  status?: unknown;
  latest_charge?: unknown;
  last_payment_error?: { code?: unknown; message?: unknown } | null;
  metadata?: Record<string, unknown> | null;
  refunds?: { data?: unknown } | null;
  payment_intent?: unknown;
  reason?: unknown;
  failure_reason?: unknown;
  created?: unknown;
}

export interface StripeEventBody {
  id?: unknown;
  type?: unknown;
  data?: { object?: StripeObject } | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
/** An expandable field: the id, whether Stripe sent the id or the expanded object. */
export const idOf = (v: unknown): string | null =>
  str(v) ?? (v && typeof v === 'object' ? str((v as { id?: unknown }).id) : null);
const int = (v: unknown): string | null => (typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : null);
const settlementIdOf = (o: StripeObject): string | null => str(o.metadata?.settlement_id);

const malformed = (type: string, what: string) => new WebhookPayloadError(`malformed ${type} event: ${what}`);

/** A signed Stripe event as the one normalised action (SPEC §6); types the engine does not act on: not_supported. */
export function normaliseStripeEvent(body: StripeEventBody): WebhookAction {
  const eventId = str(body.id);
  const type = str(body.type);
  if (!eventId || !type) throw new WebhookPayloadError('not a Stripe event (id and type missing)');
  const o = body.data?.object;
  if (!o || typeof o !== 'object') throw malformed(type, 'data.object missing');
  const none: WebhookAction = { kind: 'not_supported', eventId, type };
  switch (type) {
    case 'payment_intent.succeeded': {
      const reference = str(o.id);
      const amount = int(o.amount_received) ?? int(o.amount);
      const currency = str(o.currency);
      if (!reference || !amount || !currency) throw malformed(type, 'id, amount or currency missing');
      const transactionId = idOf(o.latest_charge) ?? reference;
      return { kind: 'payment.succeeded', eventId, reference, transactionId, amount, currency: currency.toUpperCase() };
    }
    case 'payment_intent.payment_failed': {
      const reference = str(o.id);
      if (!reference) throw malformed(type, 'id missing');
      const e = o.last_payment_error;
      const reason = [str(e?.code), str(e?.message)].filter(Boolean).join(': ') || 'payment failed';
      return { kind: 'payment.failed', eventId, reference, transactionId: idOf(o.latest_charge), reason };
    }
    case 'charge.refunded':
      return chargeRefunded(eventId, o) ?? none;
    case 'refund.updated':
    case 'refund.failed':
    case 'charge.refund.updated':
      return refundUpdated(eventId, o) ?? none;
    case 'transfer.created': {
      const settlementId = settlementIdOf(o);
      const providerReference = str(o.id);
      if (!settlementId || !providerReference) return none;
      return { kind: 'settlement.succeeded', eventId, settlementId, providerReference };
    }
    case 'transfer.reversed': {
      const settlementId = settlementIdOf(o);
      if (!settlementId) return none;
      const reason =
        `stripe: transfer ${String(o.id)} reversed (${int(o.amount_reversed) ?? '?'} of ` +
        `${int(o.amount) ?? '?'} ${(str(o.currency) ?? '').toUpperCase()})`;
      return { kind: 'settlement.reversed', eventId, settlementId, reason };
    }
    case 'charge.dispute.created': {
      const reference = idOf(o.payment_intent);
      if (!reference) return none; // a dispute of a charge that no payment intent of ours made
      const amount = int(o.amount);
      const currency = str(o.currency);
      if (!amount || !currency) throw malformed(type, 'amount or currency missing');
      const reason = str(o.reason) ?? 'disputed';
      return { kind: 'payment.disputed', eventId, reference, reason, amount, currency: currency.toUpperCase() };
    }
    default:
      return none;
  }
}

/**
 * charge.refunded: the charge's refunds (present when the payload includes them), newest first; the first one we
 * made (metadata.settlement_id) is the one this event is about. None of ours → null (not ours, or not in the payload).
 */
function chargeRefunded(eventId: string, charge: StripeObject): WebhookAction | null {
  const data = Array.isArray(charge.refunds?.data) ? (charge.refunds.data as StripeObject[]) : [];
  const ours = data
    .filter((r) => r && typeof r === 'object' && settlementIdOf(r))
    .sort((a, b) => (Number(b.created) || 0) - (Number(a.created) || 0));
  const refund = ours[0];
  return refund ? refundAction(eventId, refund) : null;
}

function refundUpdated(eventId: string, refund: StripeObject): WebhookAction | null {
  return settlementIdOf(refund) ? refundAction(eventId, refund) : null;
}

const roundKey = (o: StripeObject): { settlementKey?: string } => {
  const key = (o.metadata as Record<string, unknown> | undefined)?.settlement_key;
  return typeof key === 'string' ? { settlementKey: key } : {};
};

/** A refund of ours by its status: succeeded, failed/canceled, or still on its way (null: nothing to record yet). */
function refundAction(eventId: string, refund: StripeObject): WebhookAction | null {
  const settlementId = settlementIdOf(refund)!;
  const id = str(refund.id);
  if (!id) return null;
  if (refund.status === 'succeeded')
    return { kind: 'settlement.succeeded', eventId, settlementId, providerReference: id };
  if (refund.status === 'failed' || refund.status === 'canceled') {
    const why = str(refund.failure_reason) ?? String(refund.status);
    return {
      kind: 'settlement.failed',
      eventId,
      settlementId,
      reason: `stripe: refund ${id} ${String(refund.status)}: ${why}`,
      ...roundKey(refund),
    };
  }
  return null;
}
