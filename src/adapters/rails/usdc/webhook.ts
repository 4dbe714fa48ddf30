import {
  settlementIdOf,
  WebhookPayloadError,
  WebhookSignatureError,
  type ProviderPayment,
  type VerifiedWebhook,
  type WebhookAction,
} from '../../../app/ports/index.js';
import { hexEqual, hmacHex } from '../shared/timestampedHmac.js';
import { createHmac } from 'node:crypto';
import {
  CUSTODIAN_SIGNATURE_HEADER,
  CUSTODIAN_TIMESTAMP_HEADER,
  type CustodianDeposit,
  type CustodianEvent,
  type CustodianTransfer,
} from './custodianTypes.js';

export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** The custodian's signature: hex HMAC-SHA256 of `${timestamp}.${rawBody}` (docs/custodian-api.yaml). */
export const signCustodianWebhook = (secret: string, rawBody: string, timestamp: number): string =>
  hmacHex(secret, `${timestamp}.${rawBody}`);

/** Throws WebhookSignatureError unless the headers sign `rawBody` with `secret` within the tolerance of `nowSeconds`. */
export function verifyCustodianSignature(
  rawBody: string,
  headers: Record<string, string | undefined>,
  secret: string,
  nowSeconds: number,
  /** A stored event verified again (`webhooks reprocess`): the signature must match, its age held on arrival. */
  replay = false,
): void {
  const ts = headers[CUSTODIAN_TIMESTAMP_HEADER];
  const sig = headers[CUSTODIAN_SIGNATURE_HEADER];
  if (!ts) throw new WebhookSignatureError(`missing ${CUSTODIAN_TIMESTAMP_HEADER} header`);
  if (!sig) throw new WebhookSignatureError(`missing ${CUSTODIAN_SIGNATURE_HEADER} header`);
  if (!/^\d{1,12}$/.test(ts)) throw new WebhookSignatureError(`malformed ${CUSTODIAN_TIMESTAMP_HEADER} header`);
  if (!/^[0-9a-fA-F]{64}$/.test(sig)) throw new WebhookSignatureError(`malformed ${CUSTODIAN_SIGNATURE_HEADER} header`);
  if (!replay && Math.abs(nowSeconds - Number(ts)) > WEBHOOK_TOLERANCE_SECONDS) {
    throw new WebhookSignatureError('timestamp outside tolerance');
  }
  const expected = createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest();
  if (!hexEqual(sig, expected)) throw new WebhookSignatureError('signature does not match');
}

/**
 * Event ids of deposit and transfer actions derive from the object's state, not from the custodian's event id: a
 * redelivered (or re-sent, with a new id) "confirmed" update, and the reconciler finding the same deposit, are one
 * event to the engine; a pending update and the confirmed one differ.
 */
export const depositEventId = (d: CustodianDeposit, state: 'confirmed' | 'failed' | 'pending'): string =>
  state === 'pending' ? `deposit:${d.id}:pending:${d.confirmations}` : `deposit:${d.id}:${state}`;
const transferEventId = (t: CustodianTransfer): string => `transfer:${t.id}:${t.status}`;

/** The body of a correctly signed custodian webhook, parsed once, as the normalised action and the stored payload. */
export function parseCustodianEvent(rawBody: string, minConfirmations: number): VerifiedWebhook {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookPayloadError('body is not an event object');
  }
  const event = body as Partial<CustodianEvent>;
  if (typeof event.id !== 'string' || event.id.length === 0) throw new WebhookPayloadError('event id missing');
  if (typeof event.type !== 'string') throw new WebhookPayloadError('event type missing');
  switch (event.type) {
    case 'deposit.updated':
      return { action: depositAction(asDeposit(event.data), minConfirmations), payload: body };
    case 'transfer.updated':
      return { action: transferAction(asTransfer(event.data), event.id), payload: body };
    default:
      return { action: { kind: 'not_supported', eventId: event.id, type: event.type }, payload: body };
  }
}

/** A deposit as the engine sees it: funded once confirmed with enough confirmations, pending before, or failed. */
export function depositAction(d: CustodianDeposit, minConfirmations: number): WebhookAction {
  const base = { reference: d.reference, transactionId: d.txHash };
  if (d.status === 'failed') {
    return {
      kind: 'payment.failed',
      eventId: depositEventId(d, 'failed'),
      ...base,
      reason: d.failureReason ?? 'deposit failed',
    };
  }
  if (d.status === 'confirmed' && d.confirmations >= minConfirmations) {
    return {
      kind: 'payment.succeeded',
      eventId: depositEventId(d, 'confirmed'),
      ...base,
      amount: d.amount,
      currency: 'USDC',
      payer: d.from.toLowerCase(),
    };
  }
  return {
    kind: 'payment.pending',
    eventId: depositEventId(d, 'pending'),
    ...base,
    detail: `${d.confirmations}/${minConfirmations} confirmations`,
  };
}

/** The same deposit for the reconciler (same event ids as its webhooks). */
export function depositPayment(d: CustodianDeposit, minConfirmations: number): ProviderPayment {
  const a = depositAction(d, minConfirmations);
  if (a.kind === 'payment.succeeded') {
    return {
      status: 'succeeded',
      transactionId: a.transactionId,
      amount: a.amount,
      currency: a.currency,
      eventId: a.eventId,
      payer: a.payer!,
    };
  }
  if (a.kind === 'payment.failed')
    return { status: 'failed', transactionId: a.transactionId, reason: a.reason, eventId: a.eventId };
  return { status: 'pending', detail: `deposit ${d.txHash}: ${a.kind === 'payment.pending' ? a.detail : d.status}` };
}

function transferAction(t: CustodianTransfer, eventId: string): WebhookAction {
  switch (t.status) {
    case 'confirmed':
      return {
        kind: 'settlement.succeeded',
        eventId: transferEventId(t),
        settlementId: settlementIdOf(t.reference),
        providerReference: t.txHash ?? t.id,
      };
    case 'failed':
      return {
        kind: 'settlement.failed',
        eventId: transferEventId(t),
        settlementId: settlementIdOf(t.reference),
        reason: t.failureReason ?? 'transfer failed',
        settlementKey: t.reference,
      };
    case 'submitted':
    case 'broadcast':
      return { kind: 'not_supported', eventId, type: `transfer.updated:${t.status}` };
  }
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function asDeposit(data: unknown): CustodianDeposit {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Partial<CustodianDeposit>;
  const ok =
    str(d.id) &&
    str(d.reference) &&
    str(d.txHash) &&
    str(d.from) &&
    str(d.amount) &&
    /^\d+$/.test(d.amount) &&
    Number.isInteger(d.confirmations) &&
    (d.confirmations ?? -1) >= 0 &&
    (d.status === 'pending' || d.status === 'confirmed' || d.status === 'failed');
  if (!ok)
    throw new WebhookPayloadError(
      'deposit.updated: data is not a deposit (id, reference, txHash, from, amount, confirmations, status)',
    );
  if (d.asset !== undefined && d.asset !== 'USDC')
    throw new WebhookPayloadError(`deposit.updated: asset ${String(d.asset)} is not USDC`);
  return d as CustodianDeposit;
}

function asTransfer(data: unknown): CustodianTransfer {
  const t = (typeof data === 'object' && data !== null ? data : {}) as Partial<CustodianTransfer>;
  const ok =
    str(t.id) && str(t.reference) && ['submitted', 'broadcast', 'confirmed', 'failed'].includes(t.status ?? '');
  if (!ok) throw new WebhookPayloadError('transfer.updated: data is not a transfer (id, reference, status)');
  return t as CustodianTransfer;
}
