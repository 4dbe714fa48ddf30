import { createHash, createHmac } from 'node:crypto';
import {
  settlementIdOf,
  WebhookPayloadError,
  WebhookSignatureError,
  type VerifiedWebhook,
  type WebhookAction,
} from '../../../app/ports/index.js';
import { hexEqual } from '../shared/timestampedHmac.js';

export const PAYSTACK_SIGNATURE_HEADER = 'x-paystack-signature';

/** Paystack's signature: hex HMAC-SHA512 of the raw body, keyed with the secret key (no timestamp, no scheme). */
export const signPaystack = (secretKey: string, rawBody: string): string =>
  createHmac('sha512', secretKey).update(rawBody).digest('hex');

/** Throws WebhookSignatureError unless the header signs these exact bytes with the secret key (constant time). */
export function verifyPaystackSignature(
  rawBody: string,
  headers: Record<string, string | undefined>,
  secretKey: string,
): void {
  const given = header(headers, PAYSTACK_SIGNATURE_HEADER);
  if (!given) throw new WebhookSignatureError(`missing ${PAYSTACK_SIGNATURE_HEADER} header`);
  if (!/^[0-9a-f]{128}$/i.test(given)) throw new WebhookSignatureError('malformed signature header');
  if (!hexEqual(given, createHmac('sha512', secretKey).update(rawBody).digest())) {
    throw new WebhookSignatureError('signature does not match');
  }
}

const header = (headers: Record<string, string | undefined>, name: string): string | undefined =>
  headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];

/**
 * The event id of a successful charge, derived from Paystack's transaction id (Paystack events carry none): the
 * webhook and the reconciler's lookup derive the same one, so a reconciled payment and its late webhook dedupe.
 */
export const chargeSuccessEventId = (transactionId: string | number): string => `charge.success:${transactionId}`;

/** The refunds we create say which settlement they are (Paystack refunds have no reference of ours). */
export const refundMerchantNote = (escrowId: string, settlementId: string): string =>
  `escrow ${escrowId} settlement ${settlementId}`;

/** Our settlement id in a refund's merchant_note, or null when the refund is not one of ours. */
export function settlementIdOfNote(note: unknown): string | null {
  if (typeof note !== 'string') return null;
  const m = /(?:^|\s)settlement ([A-Za-z0-9_-]+)(?:\s|$)/.exec(note);
  return m ? m[1]! : null;
}

/** The refund a refund.* event is about, as far as the event tells. */
export interface RefundEventData {
  id: string | null;
  merchantNote: string | null;
  transactionReference: string | null;
  refundReference: string | null;
  amount: string | null;
  status: string | null;
}

/** A refund of ours: the settlement it pays and Paystack's refund id. */
export interface ResolvedRefund {
  settlementId: string;
  refundId: string;
}

/**
 * Finds which of our settlements a refund event is about (refund.processed often carries neither our note nor the
 * refund id: the rail asks Paystack). Null: not a refund of ours, or several of ours it could be.
 */
export type RefundResolver = (data: RefundEventData) => Promise<ResolvedRefund | null>;

type Data = Record<string, unknown>;

const str = (v: unknown): string | null =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/** An amount Paystack sends as an integer or a digit string, as digits (never through a float it cannot hold). */
const digits = (v: unknown): string | null => {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v.replace(/^0+(?=\d)/, '');
  return null;
};

/** The body of a correctly signed Paystack webhook, parsed once, as one normalised action and the stored payload. */
export async function parsePaystackEvent(rawBody: string, resolveRefund: RefundResolver): Promise<VerifiedWebhook> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookPayloadError('body is not an event object');
  }
  const b = body as { event?: unknown; data?: unknown };
  const event = str(b.event);
  if (!event) throw new WebhookPayloadError('event name missing');
  const data = (typeof b.data === 'object' && b.data !== null && !Array.isArray(b.data) ? b.data : {}) as Data;
  return { action: await normalise(event, data, rawBody, resolveRefund), payload: body };
}

async function normalise(
  event: string,
  d: Data,
  rawBody: string,
  resolveRefund: RefundResolver,
): Promise<WebhookAction> {
  const malformed = () => new WebhookPayloadError(`malformed ${event} event`);
  switch (event) {
    case 'charge.success': {
      const [id, reference, amount, currency] = [str(d.id), str(d.reference), digits(d.amount), str(d.currency)];
      if (!id || !reference || !amount || !currency) throw malformed();
      return {
        kind: 'payment.succeeded',
        eventId: chargeSuccessEventId(id),
        reference,
        transactionId: id,
        amount,
        currency: currency.toUpperCase(),
      };
    }
    case 'transfer.success':
    case 'transfer.failed':
    case 'transfer.reversed': {
      const [id, reference] = [str(d.id), str(d.reference)];
      if (!id || !reference) throw malformed();
      const eventId = `${event}:${id}`;
      if (event === 'transfer.success') {
        const code = str(d.transfer_code);
        return {
          kind: 'settlement.succeeded',
          eventId,
          settlementId: settlementIdOf(reference),
          providerReference: code ?? id,
        };
      }
      const reason = transferFailure(event, d);
      // Reversed after it was transferred (transferred_at set): the money reached the bank and came back.
      if (event === 'transfer.reversed' && str(d.transferred_at)) {
        return { kind: 'settlement.reversed', eventId, settlementId: settlementIdOf(reference), reason };
      }
      return {
        kind: 'settlement.failed',
        eventId,
        settlementId: settlementIdOf(reference),
        reason,
        settlementKey: reference,
      };
    }
    case 'refund.processed':
    case 'refund.failed':
      return refundAction(event, d, resolveRefund);
    case 'charge.dispute.create':
      return disputeAction(event, d);
    default: {
      // Not ours to act on: still a stable id, so a redelivery is a duplicate.
      const key = str(d.id) ?? str(d.reference) ?? createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
      return { kind: 'not_supported', eventId: `${event}:${key}`, type: event };
    }
  }
}

function transferFailure(event: string, d: Data): string {
  const code = str(d.transfer_code);
  const said = str(d.gateway_response) ?? (typeof d.failures === 'string' ? d.failures : null);
  return `paystack: transfer ${code ?? str(d.id) ?? ''} ${event === 'transfer.reversed' ? 'reversed' : 'failed'}${said ? `: ${said.slice(0, 200)}` : ''}`;
}

async function refundAction(event: string, d: Data, resolveRefund: RefundResolver): Promise<WebhookAction> {
  const data: RefundEventData = {
    id: str(d.id),
    merchantNote: str(d.merchant_note),
    transactionReference: str(d.transaction_reference),
    refundReference: str(d.refund_reference),
    amount: digits(d.amount),
    status: str(d.status),
  };
  if (!data.id && !data.transactionReference) throw new WebhookPayloadError(`malformed ${event} event`);
  const ours = await resolveRefund(data);
  const fallbackId = `${event}:${data.id ?? `${data.transactionReference}:${data.refundReference ?? ''}:${data.amount ?? ''}`}`;
  if (!ours) return { kind: 'not_supported', eventId: fallbackId, type: `${event} (no settlement of ours)` };
  const eventId = `${event}:${ours.refundId}`;
  if (event === 'refund.processed') {
    return {
      kind: 'settlement.succeeded',
      eventId,
      settlementId: settlementIdOf(ours.settlementId),
      providerReference: ours.refundId,
    };
  }
  return {
    kind: 'settlement.failed',
    eventId,
    settlementId: settlementIdOf(ours.settlementId),
    reason: `paystack: refund ${ours.refundId} failed`,
    settlementKey: ours.settlementId,
  };
}

function disputeAction(event: string, d: Data): WebhookAction {
  const tx = (typeof d.transaction === 'object' && d.transaction !== null ? d.transaction : {}) as Data;
  const [id, reference] = [str(d.id), str(tx.reference) ?? str(d.transaction_reference)];
  const amount = digits(d.refund_amount) ?? digits(tx.amount);
  const currency = str(d.currency) ?? str(tx.currency);
  if (!id || !reference || !amount || !currency) throw new WebhookPayloadError(`malformed ${event} event`);
  return {
    kind: 'payment.disputed',
    eventId: `${event}:${id}`,
    reference,
    reason: `paystack: ${str(d.category) ?? 'dispute'} (${str(d.status) ?? 'opened'})`,
    amount,
    currency: currency.toUpperCase(),
  };
}
