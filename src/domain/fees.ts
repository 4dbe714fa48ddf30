import { applyBps } from './money.js';
import type { Rail } from './types.js';

export interface FeeRule {
  bps: bigint;
  fixed: bigint;
}

export interface RailFees {
  buyer: FeeRule;
  seller: FeeRule;
}

export type FeeSchedule = Readonly<Record<Rail, RailFees>>;

const none: FeeRule = { bps: 0n, fixed: 0n };

/** SPEC §2 defaults: STRIPE buyer 290 bps + 30, seller fixed 50; USDC_BASE seller 50 bps; PAYSTACK, SANDBOX none. */
export const DEFAULT_FEES: FeeSchedule = {
  STRIPE: { buyer: { bps: 290n, fixed: 30n }, seller: { bps: 0n, fixed: 50n } },
  USDC_BASE: { buyer: none, seller: { bps: 50n, fixed: 0n } },
  PAYSTACK: { buyer: none, seller: none },
  SANDBOX: { buyer: none, seller: none },
};

/** Fee for one side: bps of the amount (half-even) plus the fixed part. */
export function feeFor(rule: FeeRule, amount: bigint): bigint {
  return applyBps(amount, rule.bps) + rule.fixed;
}

export function computeFees(
  schedule: FeeSchedule,
  rail: Rail,
  amount: bigint,
): { buyerFee: bigint; sellerFee: bigint } {
  const rules = schedule[rail];
  return { buyerFee: feeFor(rules.buyer, amount), sellerFee: feeFor(rules.seller, amount) };
}
