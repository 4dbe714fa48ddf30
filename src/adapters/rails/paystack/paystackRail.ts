import {
  RailError,
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
import type { PaymentInstructions } from '../../../domain/index.js';
import { RailHttpError } from '../shared/httpClient.js';
import type { PaystackSettings } from './config.js';
import {
  PROVIDER,
  PaystackApi,
  isRefusal,
  paystackReference,
  subunitsText,
  toSubunits,
  type PaystackRecipient,
  type PaystackTransaction,
} from './paystackApi.js';
import {
  findRefund,
  findTransfer,
  isRecipientCode,
  payout,
  refund,
  refundOutcome,
  resolveRefund,
  transferOutcome,
  transferReference,
} from './settlements.js';
import { chargeSuccessEventId, parsePaystackEvent, signPaystack, verifyPaystackSignature } from './webhook.js';

/** How many pay URLs a process remembers (Paystack cannot give one back: see createPaymentInstructions). */
const PAY_URLS_KEPT = 10_000;

/**
 * The PAYSTACK rail over Paystack's REST API (no SDK): transaction initialize / verify for payments, transfers from
 * the balance for payouts, refunds, webhooks signed with the secret key (HMAC-SHA512 of the raw body).
 *
 * Paystack has no idempotency keys: its idempotency is the unique `reference` we choose (the escrow's for a
 * transaction, the settlement id for a transfer). A repeated create is refused as a duplicate, and the rail then looks
 * the object up by that reference and answers what exists. Refunds have no reference: ours carry the settlement id in
 * `merchant_note`, and the rail lists the transaction's refunds before creating one.
 */
export class PaystackRail implements PaymentRail {
  readonly rail = 'PAYSTACK' as const;
  readonly provider = PROVIDER;
  /** Payouts go to a transfer recipient (RCP_…) registered for the seller. */
  readonly needsPayoutAccount = true;
  private readonly api: PaystackApi;
  private readonly payUrls = new Map<string, string>();

  constructor(private readonly settings: PaystackSettings) {
    this.api = new PaystackApi(settings);
  }

  /**
   * POST /transaction/initialize with the escrow's deterministic reference (`esc-<escrow id, no dashes>`: Paystack
   * allows only letters, digits, `-`, `.` and `=`). Paystack requires a customer email and the port knows none: the
   * buyer of escrow X is `buyer-X@PAYSTACK_CUSTOMER_EMAIL_DOMAIN`. A repeat is refused as a duplicate: the rail
   * verifies the transaction (same amount and currency, else a RailError) and rebuilds the instructions. Paystack
   * cannot give the checkout URL back, so it comes from this process's memory of the first answer; failing that the
   * instructions are the reference alone (Paystack Popup/Inline resumes a transaction by its reference).
   */
  async createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
    idempotencyKey: string;
  }): Promise<PaymentInstructions> {
    const reference = paystackReference(input.escrowId);
    const known = this.payUrls.get(reference);
    if (known) return { reference, payUrl: known };
    const amount = toSubunits(input.amount);
    const currency = input.currency.toUpperCase();
    try {
      const data = await this.api.call<{ authorization_url: string }>({
        method: 'POST',
        path: '/transaction/initialize',
        body: {
          email: `buyer-${input.escrowId}@${this.settings.customerEmailDomain}`,
          amount,
          currency,
          reference,
          ...(this.settings.callbackUrl ? { callback_url: this.settings.callbackUrl } : {}),
          metadata: { escrow_id: input.escrowId },
        },
        idempotencyKey: reference,
      });
      this.remember(reference, data.authorization_url);
      return { reference, payUrl: data.authorization_url };
    } catch (e) {
      if (!(e instanceof RailHttpError) || !isRefusal(e)) throw e;
      const existing = await this.api.get<PaystackTransaction>(`/transaction/verify/${encodeURIComponent(reference)}`);
      if (!existing) throw e;
      if (String(existing.amount) !== String(amount) || existing.currency.toUpperCase() !== currency) {
        throw new RailError(
          `paystack: reference ${reference} is already a transaction of ${existing.amount} ${existing.currency}, ` +
            `not ${amount} ${currency}`,
          { provider: PROVIDER, status: e.status, retryable: false, code: e.details.code ?? null },
        );
      }
      const url = this.payUrls.get(reference);
      return url ? { reference, payUrl: url } : { reference };
    }
  }

  private remember(reference: string, url: string): void {
    const oldest = this.payUrls.keys().next();
    if (this.payUrls.size >= PAY_URLS_KEPT && !oldest.done) this.payUrls.delete(oldest.value);
    this.payUrls.set(reference, url);
  }

  /**
   * Paystack cannot cancel an initialized transaction: it is left to expire. Success, always; money that still
   * arrives for a cancelled escrow is booked to suspense by the engine.
   */
  voidPayment(): Promise<void> {
    return Promise.resolve();
  }

  executeSettlement(order: SettlementOrder): Promise<SettlementOutcome> {
    return order.kind === 'PAYOUT' ? payout(this.api, order) : refund(this.api, order);
  }

  /** Signs a body as Paystack does (the x-paystack-signature header); for the fake and tests. */
  sign(rawBody: string): string {
    return signPaystack(this.settings.secretKey, rawBody);
  }

  async verifyWebhook(rawBody: string, headers: Record<string, string | undefined>): Promise<VerifiedWebhook> {
    verifyPaystackSignature(rawBody, headers, this.settings.secretKey);
    return parsePaystackEvent(rawBody, (d) => resolveRefund(this.api, d));
  }

  /** GET /transferrecipient/:code: usable when Paystack has it active. A code of another shape is refused unasked. */
  async validatePayoutAccount(input: PayoutAccountInput): Promise<PayoutAccountCheck> {
    const code = input.accountId;
    if (!isRecipientCode(code)) return { ok: false, reason: 'not a Paystack transfer recipient code (RCP_…)' };
    const r = await this.api.get<PaystackRecipient>(`/transferrecipient/${encodeURIComponent(code)}`);
    if (!r) return { ok: false, reason: 'no such transfer recipient' };
    if (r.is_deleted === true || r.isDeleted === true) {
      return { ok: false, reason: `transfer recipient ${code} is deleted` };
    }
    if (r.active !== true) return { ok: false, reason: `transfer recipient ${code} is not active` };
    const bank = r.details?.bank_name ?? r.type ?? 'account';
    const last4 = r.details?.account_number?.slice(-4);
    return { ok: true, accountId: code, detail: last4 ? `${bank}, account ending ${last4}` : bank };
  }

  /**
   * GET /transaction/verify/:reference. `abandoned` is how Paystack shows a checkout not completed (every transaction
   * starts so): pending, not failed.
   */
  async lookupPayment(input: { escrowId: string; reference: string }): Promise<ProviderPayment> {
    const t = await this.api.get<PaystackTransaction>(`/transaction/verify/${encodeURIComponent(input.reference)}`);
    if (!t) return { status: 'none', detail: `paystack has no transaction ${input.reference}` };
    const id = String(t.id);
    switch (t.status) {
      case 'success':
        return {
          status: 'succeeded',
          transactionId: id,
          amount: subunitsText(t.amount),
          currency: t.currency.toUpperCase(),
          eventId: chargeSuccessEventId(id),
        };
      case 'failed':
        return {
          status: 'failed',
          transactionId: id,
          reason: `paystack: ${t.gateway_response ?? 'payment failed'}`,
          eventId: `charge.failed:${id}`,
        };
      case 'abandoned':
        return { status: 'pending', detail: `paystack transaction ${id}: not paid yet (checkout not completed)` };
      default:
        return { status: 'pending', detail: `paystack transaction ${id} is ${t.status}` };
    }
  }

  /** A payout by GET /transfer/verify/<settlement id>; a refund among the funding transaction's refunds. */
  async lookupSettlement(order: SettlementOrder): Promise<ProviderSettlement> {
    if (order.kind === 'PAYOUT') {
      const reference = transferReference(order.idempotencyKey);
      const t = await findTransfer(this.api, reference);
      if (!t) return { status: 'none', detail: `paystack has no transfer ${reference}` };
      return settlementView(transferOutcome(t), `paystack transfer ${t.transfer_code} is ${t.status}`);
    }
    if (!order.fundingTransactionId) return { status: 'none', detail: 'no Paystack transaction funded this escrow' };
    const r = await findRefund(this.api, order.fundingTransactionId, order.idempotencyKey);
    if (!r) return { status: 'none', detail: `paystack has no refund for settlement ${order.settlementId}` };
    return settlementView(refundOutcome(r), `paystack refund ${r.id} is ${r.status}`);
  }

  /** GET /balance: what can be paid out now, per currency (Paystack reports no pending part). */
  async platformBalance(): Promise<ProviderBalance[] | null> {
    const list = await this.api.call<{ currency: string; balance: number }[]>({ method: 'GET', path: '/balance' });
    return (Array.isArray(list) ? list : []).map((b) => ({
      currency: b.currency.toUpperCase(),
      available: subunitsText(b.balance),
      pending: '0',
    }));
  }
}

function settlementView(out: SettlementOutcome, pending: string): ProviderSettlement {
  if (out.status === 'SUCCEEDED') return { status: 'succeeded', providerReference: out.providerReference };
  if (out.status === 'FAILED') return { status: 'failed', reason: out.reason };
  return { status: 'pending', detail: pending };
}
