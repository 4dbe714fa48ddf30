import { randomUUID } from 'node:crypto';
import type { SettlementOrder } from '../../../app/ports/index.js';
import { StripeRail, type StripeRailOptions } from './stripeRail.js';

/** Test helpers of the STRIPE rail's suites: a rail pointed at a URL, and settlement orders. */
export function railFor(
  apiUrl: string,
  keys: { secretKey: string; webhookSecret: string },
  extra: Partial<StripeRailOptions> = {},
): StripeRail {
  return new StripeRail({
    ...keys,
    apiUrl,
    apiVersion: null,
    timeoutMs: 1500, // a loaded CI machine must not time out calls the test expects to answer
    maxNetworkRetries: 2,
    connectClientId: null,
    ...extra,
  });
}

export function order(o: Partial<SettlementOrder> & Pick<SettlementOrder, 'kind' | 'escrowId'>): SettlementOrder {
  const settlementId = o.settlementId ?? randomUUID();
  return {
    settlementId,
    amount: 10_000n,
    currency: 'USD',
    beneficiaryId: 'user-1',
    paymentReference: 'pi_unknown',
    fundingTransactionId: null,
    destination: null,
    attempt: 1,
    idempotencyKey: settlementId,
    ...o,
  };
}
