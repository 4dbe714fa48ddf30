import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PaymentInstructions } from '../../../domain/index.js';
import {
  WebhookPayloadError,
  WebhookSignatureError,
  type PaymentRail,
  type SettlementOrder,
  type SettlementOutcome,
  type WebhookAction,
} from '../../../app/ports/index.js';

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';
const TOLERANCE_SECONDS = 300;

/**
 * Magic amounts (minor units, last two digits of the amount the rail is asked to move):
 * - a payment for an escrow whose amount ends in 02 is declined (payment.failed);
 * - a settlement of an amount ending in 13 always fails;
 * - ending in 14 fails on the first attempt only (succeeds when retried);
 * - ending in 15 fails on attempts 1-3 (exhausts the default ESCROW_MAX_RETRIES; an admin retry then succeeds).
 */
export const SANDBOX_MAGIC = {
  paymentDeclined: 2n,
  settlementAlwaysFails: 13n,
  settlementFailsOnce: 14n,
  settlementFailsThrice: 15n,
} as const;

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

/**
 * The built-in SANDBOX rail: deterministic payment instructions, instant settlements with magic failing amounts,
 * and webhooks signed like Stripe's (`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, 300 s tolerance).
 */
export class SandboxRail implements PaymentRail {
  readonly rail = 'SANDBOX' as const;

  constructor(private readonly opts: { webhookSecret: string; apiUrl: string; nowSeconds?: () => number }) {}

  private now(): number {
    return this.opts.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  }

  createPaymentInstructions(input: { escrowId: string }): Promise<PaymentInstructions> {
    const reference = `sbx_${input.escrowId.replace(/-/g, '')}`;
    return Promise.resolve({ reference, payUrl: `${this.opts.apiUrl}/api/sandbox/payments/${reference}/succeed` });
  }

  voidPayment(): Promise<void> {
    return Promise.resolve();
  }

  executeSettlement(order: SettlementOrder): Promise<SettlementOutcome> {
    const tail = order.amount % 100n;
    const fails =
      tail === SANDBOX_MAGIC.settlementAlwaysFails ||
      (tail === SANDBOX_MAGIC.settlementFailsOnce && order.attempt <= 1) ||
      (tail === SANDBOX_MAGIC.settlementFailsThrice && order.attempt <= 3);
    if (fails) {
      return Promise.resolve({
        status: 'FAILED',
        reason: `sandbox: ${order.kind.toLowerCase()} of magic amount ${order.amount} declined (attempt ${order.attempt})`,
        retryable: true,
      });
    }
    return Promise.resolve({
      status: 'SUCCEEDED',
      providerReference: `sbx_tr_${order.idempotencyKey.replace(/-/g, '')}`,
    });
  }

  /** Signs a body the way the sandbox provider does; used by the payment simulator and by tests. */
  sign(rawBody: string, timestamp = this.now()): string {
    const mac = createHmac('sha256', this.opts.webhookSecret).update(`${timestamp}.${rawBody}`).digest('hex');
    return `t=${timestamp},v1=${mac}`;
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): WebhookAction {
    const header = headers[SANDBOX_SIGNATURE_HEADER];
    if (!header) throw new WebhookSignatureError(`missing ${SANDBOX_SIGNATURE_HEADER} header`);
    const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    const t = Number(parts.t);
    if (!Number.isInteger(t) || !parts.v1) throw new WebhookSignatureError('malformed signature header');
    if (Math.abs(this.now() - t) > TOLERANCE_SECONDS) throw new WebhookSignatureError('timestamp outside tolerance');
    const expected = createHmac('sha256', this.opts.webhookSecret).update(`${t}.${rawBody}`).digest();
    const given = Buffer.from(parts.v1, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new WebhookSignatureError('signature does not match');
    }
    let body: SandboxWebhookBody;
    try {
      body = JSON.parse(rawBody) as SandboxWebhookBody;
    } catch {
      throw new WebhookPayloadError('body is not JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new WebhookPayloadError('body is not an event object');
    }
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
}
