import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import type { PaymentInstructions } from '../../../domain/index.js';
import {
  WebhookPayloadError,
  WebhookSignatureError,
  type PaymentRail,
  type PayoutAccountCheck,
  type PayoutAccountInput,
  type ProviderBalance,
  type ProviderPayment,
  type ProviderSettlement,
  type SettlementOrder,
  type SettlementOutcome,
  type VerifiedWebhook,
} from '../../../app/ports/index.js';
import type { StripeSettings } from './config.js';
import { describeStripeError, isRefusal, isStripeError, toRailError, toStripeAmount } from './errors.js';
import { findSettlement, refundOutcome, refundTarget } from './settlements.js';
import { idOf, normaliseStripeEvent } from './webhook.js';

export const STRIPE_SIGNATURE_HEADER = 'stripe-signature';
const TOLERANCE_SECONDS = 300;
const ACCOUNT_ID = /^acct_[A-Za-z0-9]+$/;

export interface StripeRailOptions extends StripeSettings {
  /** Waits between the adapter's own retries of 429 answers (injected in tests). */
  wait?: (ms: number) => Promise<void>;
  /** Told what an operator may want to know (a void that came too late, …); never secrets or bodies. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * The STRIPE rail, with separate charges and transfers: the buyer pays a PaymentIntent on the platform
 * (transfer_group = escrow id, no transfer_data, no on_behalf_of), a release is a transfer to the seller's connected
 * account from that charge (source_transaction), a refund is a refund of that charge. Never a destination charge.
 */
export class StripeRail implements PaymentRail {
  readonly rail = 'STRIPE' as const;
  readonly provider = 'stripe';
  readonly needsPayoutAccount = true;
  /** The SDK client (tests use it for what the rail does not, e.g. confirming a test payment). */
  readonly stripe: Stripe;

  constructor(private readonly o: StripeRailOptions) {
    const api = new URL(o.apiUrl);
    const protocol = api.protocol === 'http:' ? 'http' : 'https';
    this.stripe = new Stripe(o.secretKey, {
      host: api.hostname,
      port: api.port || (protocol === 'http' ? 80 : 443),
      protocol,
      timeout: o.timeoutMs,
      maxNetworkRetries: o.maxNetworkRetries,
      telemetry: false,
      appInfo: { name: 'escrow-services' },
      ...(o.apiVersion ? { apiVersion: o.apiVersion as Stripe.StripeConfig['apiVersion'] } : {}),
    });
  }

  /**
   * The SDK retries network errors, 409 and 5xx itself (same idempotency key); a 429 it leaves to us unless Stripe
   * says Stripe-Should-Retry, so it is retried here with Retry-After (capped) or jittered backoff, as many times.
   */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof Stripe.errors.StripeRateLimitError) || attempt >= this.o.maxNetworkRetries) throw err;
        const after = Number(err.headers?.['retry-after']);
        const backoff = Math.random() * Math.min(5_000, 500 * 2 ** attempt);
        await (this.o.wait ?? sleep)(Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, 10_000) : backoff);
      }
    }
  }

  async createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
    idempotencyKey: string;
  }): Promise<PaymentInstructions> {
    const pi = await this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: toStripeAmount(input.amount),
          currency: input.currency.toLowerCase(),
          transfer_group: input.escrowId,
          metadata: { escrow_id: input.escrowId },
          // Whatever methods the Dashboard enables; the money stays on the platform until the escrow settles.
          automatic_payment_methods: { enabled: true },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    ).catch((err: unknown) => {
      throw toRailError('POST /v1/payment_intents', err);
    });
    return { reference: pi.id, clientSecret: pi.client_secret ?? undefined };
  }

  /** Cancelling what is canceled, gone or already paid is done: money that arrives after a cancel goes to suspense. */
  async voidPayment(input: { escrowId: string; reference: string }): Promise<void> {
    try {
      await this.call(() => this.stripe.paymentIntents.cancel(input.reference));
    } catch (err) {
      if (isStripeError(err) && (err.code === 'resource_missing' || err.code === 'payment_intent_unexpected_state')) {
        const status = idOf(err.payment_intent) ? String(err.payment_intent?.status) : 'unknown';
        if (status === 'succeeded') {
          this.o.log?.('stripe: a voided escrow was paid; the money goes to suspense', {
            escrow_id: input.escrowId,
            payment_intent: input.reference,
          });
        }
        return;
      }
      throw toRailError(`POST /v1/payment_intents/${input.reference}/cancel`, err);
    }
  }

  async executeSettlement(order: SettlementOrder): Promise<SettlementOutcome> {
    if (order.attempt > 1) {
      // A repeat: what Stripe already has is the answer (its idempotency keys expire after 24 hours, and a replay
      // would repeat a refund's first status, not its current one).
      const found = await findSettlement(this.stripe, order).catch((err: unknown) => {
        throw toRailError('looking up an earlier attempt', err);
      });
      if (found) return found.outcome;
    }
    let amount: number;
    try {
      amount = toStripeAmount(order.amount);
    } catch (err) {
      return { status: 'FAILED', reason: (err as Error).message, retryable: false };
    }
    return order.kind === 'PAYOUT' ? this.payout(order, amount) : this.refund(order, amount);
  }

  private async payout(order: SettlementOrder, amount: number): Promise<SettlementOutcome> {
    if (!order.destination) {
      return { status: 'FAILED', reason: 'stripe: no connected account to pay out to', retryable: true };
    }
    try {
      const tr = await this.call(() =>
        this.stripe.transfers.create(
          {
            amount,
            currency: order.currency.toLowerCase(),
            destination: order.destination!,
            // From the buyer's charge (no wait for the platform's available balance); without one (money from
            // suspense or a manual confirmation), from the platform's balance.
            ...(order.fundingTransactionId ? { source_transaction: order.fundingTransactionId } : {}),
            transfer_group: order.escrowId,
            metadata: {
              escrow_id: order.escrowId,
              settlement_id: order.settlementId,
              settlement_key: order.idempotencyKey,
            },
          },
          { idempotencyKey: order.idempotencyKey },
        ),
      );
      return { status: 'SUCCEEDED', providerReference: tr.id };
    } catch (err) {
      return this.failed('POST /v1/transfers', err);
    }
  }

  private async refund(order: SettlementOrder, amount: number): Promise<SettlementOutcome> {
    try {
      const re = await this.call(() =>
        this.stripe.refunds.create(
          {
            ...refundTarget(order),
            amount,
            metadata: {
              escrow_id: order.escrowId,
              settlement_id: order.settlementId,
              settlement_key: order.idempotencyKey,
            },
          },
          { idempotencyKey: order.idempotencyKey },
        ),
      );
      return refundOutcome(re);
    } catch (err) {
      return this.failed('POST /v1/refunds', err);
    }
  }

  /** A refusal is final (FAILED, not retryable); anything else is thrown for the worker to retry later. */
  private failed(what: string, err: unknown): SettlementOutcome {
    if (isRefusal(err)) return { status: 'FAILED', reason: describeStripeError(what, err), retryable: false };
    throw toRailError(what, err);
  }

  async verifyWebhook(
    rawBody: string,
    headers: Record<string, string | undefined>,
    opts: { replay?: boolean } = {},
  ): Promise<VerifiedWebhook> {
    let event: unknown;
    try {
      event = await this.stripe.webhooks.constructEventAsync(
        rawBody,
        headers[STRIPE_SIGNATURE_HEADER] ?? '',
        this.o.webhookSecret,
        // a stored event verified again: the signature must match, its age held when it arrived
        opts.replay ? Number.MAX_SAFE_INTEGER : TOLERANCE_SECONDS,
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
        throw new WebhookSignatureError(`${STRIPE_SIGNATURE_HEADER}: ${err.message}`);
      }
      if (err instanceof SyntaxError) throw new WebhookPayloadError('body is not JSON');
      throw err;
    }
    if (!event || typeof event !== 'object' || Array.isArray(event)) {
      throw new WebhookPayloadError('body is not an event object');
    }
    return { action: normaliseStripeEvent(event), payload: event };
  }

  async validatePayoutAccount(input: PayoutAccountInput): Promise<PayoutAccountCheck> {
    if (!ACCOUNT_ID.test(input.accountId)) {
      return { ok: false, reason: `not a Stripe connected account id (acct_…): ${input.accountId.slice(0, 40)}` };
    }
    let account: Stripe.Account;
    try {
      account = await this.call(() => this.stripe.accounts.retrieve(input.accountId));
    } catch (err) {
      if (isMissingAccount(err)) {
        return { ok: false, reason: `no such connected account: ${input.accountId} (${describeStripeError('', err)})` };
      }
      throw toRailError(`GET /v1/accounts/${input.accountId}`, err);
    }
    const transfers = account.capabilities?.transfers;
    if (transfers === 'active' || (transfers === undefined && account.payouts_enabled)) {
      return {
        ok: true,
        accountId: account.id,
        detail: `transfers ${transfers ?? 'n/a'}, payouts_enabled ${account.payouts_enabled}`,
      };
    }
    const disabled = account.requirements?.disabled_reason;
    return {
      ok: false,
      reason:
        `connected account ${account.id} cannot receive transfers: transfers capability ${transfers ?? 'missing'}` +
        (disabled ? ` (requirements.disabled_reason ${disabled})` : ''),
    };
  }

  /**
   * succeeded → succeeded; a failed attempt (requires_payment_method with last_payment_error) → failed; canceled →
   * failed (no payment can come any more); anything else (waiting for the buyer, processing) → pending.
   */
  async lookupPayment(input: { escrowId: string; reference: string }): Promise<ProviderPayment> {
    let pi: Stripe.PaymentIntent;
    try {
      pi = await this.call(() => this.stripe.paymentIntents.retrieve(input.reference));
    } catch (err) {
      if (isStripeError(err) && err.code === 'resource_missing') {
        return { status: 'none', detail: `stripe has no payment intent ${input.reference}` };
      }
      throw toRailError(`GET /v1/payment_intents/${input.reference}`, err);
    }
    const charge = idOf(pi.latest_charge);
    if (pi.status === 'succeeded') {
      return {
        status: 'succeeded',
        transactionId: charge ?? pi.id,
        amount: String(pi.amount_received ?? pi.amount),
        currency: pi.currency.toUpperCase(),
        eventId: `reconcile:${pi.id}:succeeded`,
      };
    }
    if (pi.status === 'canceled') {
      const reason = `canceled${pi.cancellation_reason ? `: ${pi.cancellation_reason}` : ''}`;
      return { status: 'failed', transactionId: charge, reason, eventId: `reconcile:${pi.id}:canceled` };
    }
    const e = pi.last_payment_error;
    if (pi.status === 'requires_payment_method' && e) {
      const reason = [e.code, e.message].filter(Boolean).join(': ') || 'payment failed';
      const attempt = charge ?? e.code ?? 'failed';
      return { status: 'failed', transactionId: charge, reason, eventId: `reconcile:${pi.id}:failed:${attempt}` };
    }
    return { status: 'pending', detail: `payment intent ${pi.id} is ${pi.status}` };
  }

  async lookupSettlement(order: SettlementOrder): Promise<ProviderSettlement> {
    const found = await findSettlement(this.stripe, order).catch((err: unknown) => {
      throw toRailError(`looking up settlement ${order.settlementId}`, err);
    });
    if (!found)
      return { status: 'none', detail: `stripe has no ${order.kind.toLowerCase()} for ${order.settlementId}` };
    const out = found.outcome;
    if (out.status === 'SUCCEEDED') return { status: 'succeeded', providerReference: out.providerReference };
    if (out.status === 'FAILED') return { status: 'failed', reason: out.reason };
    return { status: 'pending', detail: `${out.providerReference} is not final yet` };
  }

  async platformBalance(): Promise<ProviderBalance[] | null> {
    const b = await this.call(() => this.stripe.balance.retrieve()).catch((err: unknown) => {
      throw toRailError('GET /v1/balance', err);
    });
    const by = new Map<string, { available: bigint; pending: bigint }>();
    const add = (field: 'available' | 'pending', e: { amount: number; currency: string }) => {
      const c = e.currency.toUpperCase();
      const row = by.get(c) ?? { available: 0n, pending: 0n };
      row[field] += BigInt(e.amount);
      by.set(c, row);
    };
    b.available.forEach((e) => add('available', e));
    b.pending.forEach((e) => add('pending', e));
    return [...by].map(([currency, r]) => ({ currency, available: String(r.available), pending: String(r.pending) }));
  }
}

/** Stripe's answers for an account id that is no connected account of this platform (404, or 403 no access). */
function isMissingAccount(err: unknown): boolean {
  if (!isStripeError(err)) return false;
  return (
    err.code === 'resource_missing' ||
    err.code === 'account_invalid' ||
    /does not have access to account|or that account does not exist/.test(err.message)
  );
}
