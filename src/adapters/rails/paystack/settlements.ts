import type { SettlementOrder, SettlementOutcome } from '../../../app/ports/index.js';
import { RailHttpError } from '../shared/httpClient.js';
import {
  isRefusal,
  toSubunits,
  type PaystackApi,
  type PaystackRefund,
  type PaystackTransaction,
  type PaystackTransfer,
} from './paystackApi.js';
import { refundMerchantNote, settlementIdOfNote, type RefundEventData, type ResolvedRefund } from './webhook.js';

const RECIPIENT = /^RCP_[A-Za-z0-9]+$/;
/** Paystack transfer references: lowercase letters, digits, - and _. */
const TRANSFER_REFERENCE = /^[a-z0-9_-]{1,100}$/;

export const isRecipientCode = (code: string): boolean => RECIPIENT.test(code);

const failed = (reason: string, retryable: boolean): SettlementOutcome => ({ status: 'FAILED', reason, retryable });

/** A payout's transfer reference: the settlement id, lowercase as Paystack wants it. */
export const transferReference = (settlementId: string): string => settlementId.toLowerCase();

/**
 * POST /transfer from the balance to the seller's recipient, reference = the settlement id. A repeat (the worker
 * asking again, or a retry after a timeout) is refused as a duplicate and answered from GET /transfer/verify.
 */
export async function payout(api: PaystackApi, order: SettlementOrder): Promise<SettlementOutcome> {
  const destination = order.destination;
  if (!destination || !RECIPIENT.test(destination)) {
    return failed(`paystack: a payout needs a transfer recipient (RCP_…), got ${destination ?? 'none'}`, false);
  }
  const reference = transferReference(order.idempotencyKey);
  if (!TRANSFER_REFERENCE.test(reference)) {
    return failed(`paystack: settlement id ${order.settlementId} cannot be a transfer reference`, false);
  }
  let amount: number;
  try {
    amount = toSubunits(order.amount);
  } catch (e) {
    return failed((e as Error).message, false);
  }
  try {
    const t = await api.call<PaystackTransfer>({
      method: 'POST',
      path: '/transfer',
      body: {
        source: 'balance',
        amount,
        recipient: destination,
        reference,
        reason: `escrow ${order.escrowId} payout`,
        currency: order.currency.toUpperCase(),
      },
      idempotencyKey: reference,
    });
    return transferOutcome(t);
  } catch (e) {
    if (!(e instanceof RailHttpError) || e.retryable) throw e;
    // 401/403: the key was refused; not this settlement's fault, so it may be tried again once the key is fixed.
    if (!isRefusal(e)) return failed(`${e.message} (check PAYSTACK_SECRET_KEY)`, true);
    const existing = await findTransfer(api, reference);
    if (!existing) return failed(e.message, false);
    if (String(existing.amount) !== String(amount)) {
      return failed(`paystack: reference ${reference} is a transfer of ${existing.amount}, not ${amount}`, false);
    }
    return transferOutcome(existing);
  }
}

export const findTransfer = (api: PaystackApi, reference: string): Promise<PaystackTransfer | null> =>
  api.get<PaystackTransfer>(`/transfer/verify/${encodeURIComponent(reference)}`);

/**
 * POST /refund of the funding transaction (partial amounts allowed), once GET /refund?transaction=… shows none of
 * ours for this settlement (merchant_note names it: Paystack refunds take no reference). A refund POST is never
 * repeated blindly: after a timeout or a 5xx the rail looks again and throws retryable when nothing is there yet
 * (the worker comes back later and looks first).
 */
export async function refund(api: PaystackApi, order: SettlementOrder): Promise<SettlementOutcome> {
  const transaction = order.fundingTransactionId;
  if (!transaction) {
    return failed(
      'paystack: no Paystack transaction funded this escrow (suspense or a manual confirmation): refund it by hand',
      false,
    );
  }
  let amount: number;
  try {
    amount = toSubunits(order.amount);
  } catch (e) {
    return failed((e as Error).message, false);
  }
  const existing = await findRefund(api, transaction, order.idempotencyKey);
  if (existing) return refundOutcome(existing);
  try {
    const r = await api.call<PaystackRefund>({
      method: 'POST',
      path: '/refund',
      body: {
        transaction,
        amount,
        currency: order.currency.toUpperCase(),
        merchant_note: refundMerchantNote(order.escrowId, order.idempotencyKey),
        customer_note: `Refund for escrow ${order.escrowId}`,
      },
    });
    return refundOutcome(r);
  } catch (e) {
    if (!(e instanceof RailHttpError)) throw e;
    if (e.retryable) {
      const landed = await findRefund(api, transaction, order.idempotencyKey).catch(() => null);
      if (landed) return refundOutcome(landed);
      throw e;
    }
    if (!isRefusal(e)) return failed(`${e.message} (check PAYSTACK_SECRET_KEY)`, true);
    return failed(e.message, false);
  }
}

async function refundsOf(api: PaystackApi, transaction: string): Promise<PaystackRefund[]> {
  const list = await api.get<PaystackRefund[]>('/refund', { transaction, perPage: '100' });
  return Array.isArray(list) ? list : [];
}

export async function findRefund(
  api: PaystackApi,
  transaction: string,
  settlementId: string,
): Promise<PaystackRefund | null> {
  const list = await refundsOf(api, transaction);
  return list.find((r) => settlementIdOfNote(r.merchant_note) === settlementId) ?? null;
}

/**
 * Which settlement of ours a refund.* event is about. Paystack's refund events carry the transaction reference and
 * the amount, seldom our merchant_note or the refund id: with an id the refund is fetched; otherwise the transaction
 * is verified, its refunds listed, and the one of ours of that amount taken (narrowed by status when several). None,
 * or several it cannot tell apart: null (recorded as not ours; the reconciler's lookupSettlement finds it by id).
 */
export async function resolveRefund(api: PaystackApi, d: RefundEventData): Promise<ResolvedRefund | null> {
  if (d.id) {
    const r = await api.get<PaystackRefund>(`/refund/${encodeURIComponent(d.id)}`);
    if (r) {
      const settlementId = settlementIdOfNote(r.merchant_note ?? d.merchantNote);
      return settlementId ? { settlementId, refundId: String(r.id) } : null;
    }
  }
  if (!d.transactionReference) return null;
  const tx = await api.get<PaystackTransaction>(`/transaction/verify/${encodeURIComponent(d.transactionReference)}`);
  if (!tx) return null;
  const wanted = settlementIdOfNote(d.merchantNote);
  let ours = (await refundsOf(api, String(tx.id))).filter((r) => {
    const s = settlementIdOfNote(r.merchant_note);
    return s !== null && (wanted === null || s === wanted) && (d.amount === null || String(r.amount) === d.amount);
  });
  if (ours.length > 1 && d.status) ours = ours.filter((r) => r.status === d.status);
  const [only] = ours;
  if (ours.length !== 1 || !only) return null;
  return { settlementId: settlementIdOfNote(only.merchant_note)!, refundId: String(only.id) };
}

/** A transfer's status as a settlement outcome; an unknown status is taken as not final (money may still move). */
export function transferOutcome(t: PaystackTransfer): SettlementOutcome {
  switch (t.status) {
    case 'success':
      return { status: 'SUCCEEDED', providerReference: t.transfer_code };
    case 'failed':
    case 'reversed':
    case 'abandoned':
    case 'rejected':
    case 'blocked': {
      // Final at Paystack: the reference cannot be sent again, so trying again cannot help.
      const said = t.gateway_response ?? (typeof t.failures === 'string' ? t.failures : null);
      return failed(`paystack: transfer ${t.transfer_code} ${t.status}${said ? `: ${said.slice(0, 200)}` : ''}`, false);
    }
    default:
      // pending, otp (waits for the OTP: disable transfer OTP on the integration), received, queued, processing
      return { status: 'SUBMITTED', providerReference: t.transfer_code };
  }
}

export function refundOutcome(r: PaystackRefund): SettlementOutcome {
  switch (r.status) {
    case 'processed':
      return { status: 'SUCCEEDED', providerReference: String(r.id) };
    case 'failed':
      return failed(`paystack: refund ${r.id} failed`, false);
    default:
      // pending, processing, needs-attention (Paystack wants the customer's account details: see its dashboard)
      return { status: 'SUBMITTED', providerReference: String(r.id) };
  }
}
