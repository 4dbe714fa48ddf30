import type { SandboxSettings } from './config.js';
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
import { signTimestamped, verifyTimestamped } from '../shared/timestampedHmac.js';
import { parseSandboxEvent } from './webhook.js';

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

/**
 * The built-in SANDBOX rail: deterministic payment instructions, instant settlements with magic failing amounts,
 * and webhooks signed like Stripe's (`t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, 300 s tolerance).
 */
export class SandboxRail implements PaymentRail {
  readonly rail = 'SANDBOX' as const;
  readonly provider = 'sandbox';
  /** Sandbox payouts go nowhere: no payout account is needed. */
  readonly needsPayoutAccount = false;

  constructor(private readonly opts: SandboxSettings & { nowSeconds?: () => number }) {}

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

  /** Any id will do: the sandbox pays nobody. */
  validatePayoutAccount(input: PayoutAccountInput): Promise<PayoutAccountCheck> {
    return Promise.resolve({ ok: true, accountId: input.accountId, detail: 'sandbox: not checked, moves no money' });
  }

  /** The sandbox provider keeps no record: a payment is known only by its webhook. */
  lookupPayment(): Promise<ProviderPayment> {
    return Promise.resolve({ status: 'none', detail: 'the sandbox keeps no record of payments' });
  }

  /** Settlements are instant and answered at once: there is nothing to look up later. */
  lookupSettlement(): Promise<ProviderSettlement> {
    return Promise.resolve({ status: 'none', detail: 'the sandbox keeps no record of settlements' });
  }

  /** The sandbox holds no money. */
  platformBalance(): Promise<ProviderBalance[] | null> {
    return Promise.resolve(null);
  }

  /** Signs a body the way the sandbox provider does; used by the payment simulator and by tests. */
  sign(rawBody: string, timestamp = this.now()): string {
    return signTimestamped(this.opts.webhookSecret, rawBody, timestamp);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- the port is asynchronous (providers' SDKs are)
  async verifyWebhook(
    rawBody: string,
    headers: Record<string, string | undefined>,
    opts: { replay?: boolean } = {},
  ): Promise<VerifiedWebhook> {
    verifyTimestamped({
      header: headers[SANDBOX_SIGNATURE_HEADER],
      headerName: SANDBOX_SIGNATURE_HEADER,
      rawBody,
      secret: this.opts.webhookSecret,
      nowSeconds: this.now(),
      toleranceSeconds: opts.replay ? Number.POSITIVE_INFINITY : TOLERANCE_SECONDS,
    });
    return parseSandboxEvent(rawBody);
  }
}
