import type { PaymentInstructions } from '../../../domain/index.js';
import type {
  PaymentRail,
  PayoutAccountCheck,
  PayoutAccountInput,
  ProviderBalance,
  ProviderPayment,
  ProviderSettlement,
  SettlementOrder,
  SettlementOutcome,
  VerifiedWebhook,
} from '../../../app/ports/index.js';
import { RailHttpClient, RailHttpError } from '../shared/httpClient.js';
import { checkBaseAddress } from './address.js';
import type { UsdcSettings } from './config.js';
import type {
  CustodianBalance,
  CustodianDeposit,
  CustodianDepositAddress,
  CustodianList,
  CustodianTransfer,
} from './custodianTypes.js';
import { depositPayment, parseCustodianEvent, verifyCustodianSignature } from './webhook.js';

const ASSET = { asset: 'USDC', network: 'base' } as const;

export interface UsdcRailOptions extends UsdcSettings {
  nowSeconds?: () => number;
  fetch?: typeof fetch;
  wait?: (ms: number) => Promise<void>;
}

/**
 * USDC on Base through a custodian's REST API (docs/custodian-api.yaml): a deposit address per escrow, deposits final
 * after `minConfirmations`, transfers out for payouts and for refunds (to the address that paid), signed webhooks.
 * The payment reference is our escrow id: the custodian echoes it on every deposit to the escrow's address.
 */
export class UsdcRail implements PaymentRail {
  readonly rail = 'USDC_BASE' as const;
  readonly provider = 'custodian';
  readonly needsPayoutAccount = true;
  private readonly http: RailHttpClient;

  constructor(private readonly opts: UsdcRailOptions) {
    this.http = new RailHttpClient({
      provider: 'custodian',
      baseUrl: opts.apiUrl,
      headers: { authorization: `Bearer ${opts.apiKey}` },
      timeoutMs: opts.timeoutMs,
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      ...(opts.baseDelayMs !== undefined ? { baseDelayMs: opts.baseDelayMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.wait ? { wait: opts.wait } : {}),
    });
  }

  private now(): number {
    return this.opts.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  }

  async createPaymentInstructions(input: {
    escrowId: string;
    amount: bigint;
    currency: string;
    idempotencyKey: string;
  }): Promise<PaymentInstructions> {
    if (input.currency !== 'USDC')
      throw new RailHttpError(`custodian: USDC_BASE takes USDC, not ${input.currency}`, 400, false, null, {
        provider: 'custodian',
      });
    const created = await this.http.request<CustodianDepositAddress>({
      method: 'POST',
      path: '/v1/deposit-addresses',
      idempotencyKey: input.idempotencyKey,
      body: { reference: input.escrowId, ...ASSET, expectedAmount: input.amount.toString() },
    });
    if (created.reference !== input.escrowId || !created.address) {
      throw new RailHttpError(
        `custodian: deposit address ${created.id} answered for another reference`,
        502,
        true,
        null,
        { provider: 'custodian' },
      );
    }
    return { reference: created.reference, depositAddress: created.address };
  }

  /** Closes the escrow's deposit address(es); one that is closed or gone already is success. */
  async voidPayment(input: { escrowId: string; reference: string }): Promise<void> {
    const list = await this.http.request<CustodianList<CustodianDepositAddress>>({
      method: 'GET',
      path: '/v1/deposit-addresses',
      query: { reference: input.reference },
    });
    for (const a of list.data.filter((x) => x.status !== 'closed')) {
      try {
        await this.http.request({
          method: 'POST',
          path: `/v1/deposit-addresses/${encodeURIComponent(a.id)}/close`,
          idempotencyKey: `close:${a.id}`,
        });
      } catch (err) {
        if (!(err instanceof RailHttpError && err.status === 404)) throw err;
      }
    }
  }

  async executeSettlement(order: SettlementOrder): Promise<SettlementOutcome> {
    if (order.currency !== 'USDC')
      return { status: 'FAILED', reason: `custodian: cannot move ${order.currency} on USDC_BASE`, retryable: false };
    try {
      const destination = order.kind === 'REFUND' ? await this.refundDestination(order) : payoutDestination(order);
      if (!destination.ok) return { status: 'FAILED', reason: destination.reason, retryable: false };
      const transfer = await this.http.request<CustodianTransfer>({
        method: 'POST',
        path: '/v1/transfers',
        idempotencyKey: order.idempotencyKey,
        body: {
          reference: order.idempotencyKey,
          destination: destination.address,
          amount: order.amount.toString(),
          ...ASSET,
        },
      });
      return transferOutcome(transfer);
    } catch (err) {
      if (!(err instanceof RailHttpError)) throw err;
      return { status: 'FAILED', reason: err.message, retryable: err.retryable };
    }
  }

  /** A refund goes back to the address that paid: the `from` of the deposit that funded the escrow. */
  private async refundDestination(
    order: SettlementOrder,
  ): Promise<{ ok: true; address: string } | { ok: false; reason: string }> {
    const funding = order.fundingTransactionId;
    if (!funding) {
      return {
        ok: false,
        reason: 'custodian: refund needs the funding deposit (no transaction hash recorded): refund by hand',
      };
    }
    const deposits = await this.deposits(order.paymentReference);
    const paid = deposits.find((d) => d.txHash.toLowerCase() === funding.toLowerCase());
    if (!paid) {
      return {
        ok: false,
        reason: `custodian: no deposit ${funding} for reference ${order.paymentReference}: cannot tell the paying address`,
      };
    }
    // The address the chain says paid: its format is checked, its case is not (the custodian may checksum it).
    if (!/^0x[0-9a-fA-F]{40}$/.test(paid.from)) {
      return { ok: false, reason: `custodian: deposit ${funding} came from ${paid.from}, not an address to refund to` };
    }
    return { ok: true, address: paid.from.toLowerCase() };
  }

  async validatePayoutAccount(input: PayoutAccountInput): Promise<PayoutAccountCheck> {
    const local = checkBaseAddress(input.accountId);
    if (!local.ok) return local;
    const answer = await this.http.request<{ address: string; valid: boolean; reason?: string | null }>({
      method: 'POST',
      path: '/v1/addresses/validate',
      idempotencyKey: `validate:${local.address}`,
      body: { address: local.address, ...ASSET },
    });
    if (!answer.valid)
      return { ok: false, reason: `custodian refuses ${local.address}: ${answer.reason ?? 'invalid'}` };
    return { ok: true, accountId: local.address, detail: 'USDC on Base; validated by the custodian' };
  }

  async lookupPayment(input: { escrowId: string; reference: string }): Promise<ProviderPayment> {
    const deposits = await this.deposits(input.reference);
    if (deposits.length === 0) return { status: 'none', detail: `no deposit for reference ${input.reference}` };
    const views = deposits.map((d) => depositPayment(d, this.opts.minConfirmations));
    return views.find((v) => v.status === 'succeeded') ?? views.find((v) => v.status === 'pending') ?? views[0]!;
  }

  async lookupSettlement(order: SettlementOrder): Promise<ProviderSettlement> {
    const list = await this.http.request<CustodianList<CustodianTransfer>>({
      method: 'GET',
      path: '/v1/transfers',
      query: { reference: order.idempotencyKey },
    });
    const t = list.data[0];
    if (!t) return { status: 'none', detail: `no transfer for reference ${order.idempotencyKey}` };
    const out = transferOutcome(t);
    if (out.status === 'SUCCEEDED') return { status: 'succeeded', providerReference: out.providerReference };
    if (out.status === 'FAILED') return { status: 'failed', reason: out.reason };
    return { status: 'pending', detail: `transfer ${t.id} ${t.status}` };
  }

  async platformBalance(): Promise<ProviderBalance[] | null> {
    const list = await this.http.request<CustodianList<CustodianBalance>>({ method: 'GET', path: '/v1/balances' });
    return list.data
      .filter((b) => b.asset === 'USDC' && b.network === 'base')
      .map((b) => ({ currency: 'USDC', available: b.available, pending: b.pending }));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the port is asynchronous
  async verifyWebhook(
    rawBody: string,
    headers: Record<string, string | undefined>,
    opts: { replay?: boolean } = {},
  ): Promise<VerifiedWebhook> {
    verifyCustodianSignature(rawBody, headers, this.opts.webhookSecret, this.now(), opts.replay);
    return parseCustodianEvent(rawBody, this.opts.minConfirmations);
  }

  private async deposits(reference: string): Promise<CustodianDeposit[]> {
    const list = await this.http.request<CustodianList<CustodianDeposit>>({
      method: 'GET',
      path: '/v1/deposits',
      query: { reference },
    });
    return list.data;
  }
}

function payoutDestination(order: SettlementOrder): { ok: true; address: string } | { ok: false; reason: string } {
  if (!order.destination) return { ok: false, reason: 'custodian: payout without a destination address' };
  const to = checkBaseAddress(order.destination);
  return to.ok ? to : { ok: false, reason: `custodian: payout destination ${order.destination}: ${to.reason}` };
}

/** submitted/broadcast → SUBMITTED (the webhook or the next call says more); confirmed → SUCCEEDED; failed → FAILED. */
function transferOutcome(t: CustodianTransfer): SettlementOutcome {
  switch (t.status) {
    case 'submitted':
    case 'broadcast':
      return { status: 'SUBMITTED', providerReference: t.id };
    case 'confirmed':
      return { status: 'SUCCEEDED', providerReference: t.txHash ?? t.id };
    case 'failed':
      // Asking again with the same idempotency key finds the same failed transfer: not retryable.
      return {
        status: 'FAILED',
        reason: `custodian: transfer ${t.id} failed: ${t.failureReason ?? 'no reason given'}`,
        retryable: false,
      };
  }
}
