import { WebhookPayloadError, type VerifiedWebhook, type WebhookAction } from '../../../app/ports/index.js';

export interface SandboxWebhookBody {
  id: string;
  type: 'payment.succeeded' | 'payment.failed' | 'settlement.succeeded' | 'settlement.failed';
  created: number;
  data: {
    reference?: string;
    transactionId?: string;
    amount?: string;
    currency?: string;
    settlementId?: string;
    providerReference?: string;
    reason?: string;
  };
}

/** The body of a correctly signed sandbox webhook, parsed once, as the normalised action and the stored payload. */
export function parseSandboxEvent(rawBody: string): VerifiedWebhook {
  let body: SandboxWebhookBody;
  try {
    body = JSON.parse(rawBody) as SandboxWebhookBody;
  } catch {
    throw new WebhookPayloadError('body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WebhookPayloadError('body is not an event object');
  }
  return { action: normalise(body), payload: body };
}

/** The sandbox provider's event as the normalised action; a known type with missing fields is malformed. */
function normalise(body: SandboxWebhookBody): WebhookAction {
  const d = typeof body.data === 'object' && body.data !== null ? body.data : {};
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  const eventId = str(body.id);
  if (!eventId) throw new WebhookPayloadError('event id missing');
  switch (body.type) {
    case 'payment.succeeded': {
      const [reference, transactionId, amount, currency] = [d.reference, d.transactionId, d.amount, d.currency].map(
        str,
      );
      if (reference && transactionId && amount && currency) {
        return { kind: 'payment.succeeded', eventId, reference, transactionId, amount, currency };
      }
      break;
    }
    case 'payment.failed':
      if (str(d.reference)) {
        return {
          kind: 'payment.failed',
          eventId,
          reference: d.reference!,
          transactionId: str(d.transactionId),
          reason: str(d.reason) ?? 'declined',
        };
      }
      break;
    case 'settlement.succeeded':
      if (str(d.settlementId)) {
        return {
          kind: 'settlement.succeeded',
          eventId,
          settlementId: d.settlementId!,
          providerReference: str(d.providerReference) ?? eventId,
        };
      }
      break;
    case 'settlement.failed':
      if (str(d.settlementId)) {
        return {
          kind: 'settlement.failed',
          eventId,
          settlementId: d.settlementId!,
          reason: str(d.reason) ?? 'failed',
        };
      }
      break;
  }
  // A known type with missing fields is malformed (refused, so it is never marked done); an unknown type is not ours.
  if (['payment.succeeded', 'payment.failed', 'settlement.succeeded', 'settlement.failed'].includes(body.type)) {
    throw new WebhookPayloadError(`malformed ${body.type} event`);
  }
  return { kind: 'not_supported', eventId, type: String(body.type) };
}
