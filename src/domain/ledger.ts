import type { DomainEvent } from './events.js';
import type { Escrow, Rail } from './types.js';

/**
 * Chart of accounts. Balances are the signed sum of postings: money held inside the engine is positive,
 * and the outside world (per rail) goes negative when money comes in.
 */
export const accounts = {
  external: (rail: Rail) => `external:${rail}`,
  holding: (escrowId: string) => `escrow:${escrowId}:holding`,
  sellerPayable: (escrowId: string) => `escrow:${escrowId}:seller_payable`,
  buyerRefundable: (escrowId: string) => `escrow:${escrowId}:buyer_refundable`,
  feeRevenue: 'platform:fee_revenue',
} as const;

export type AccountKind = 'EXTERNAL' | 'HOLDING' | 'SELLER_PAYABLE' | 'BUYER_REFUNDABLE' | 'FEE_REVENUE';

export function accountKind(account: string): AccountKind {
  if (account.startsWith('external:')) return 'EXTERNAL';
  if (account === accounts.feeRevenue) return 'FEE_REVENUE';
  if (account.endsWith(':holding')) return 'HOLDING';
  if (account.endsWith(':seller_payable')) return 'SELLER_PAYABLE';
  if (account.endsWith(':buyer_refundable')) return 'BUYER_REFUNDABLE';
  throw new Error(`unknown account ${account}`);
}

export interface Posting {
  account: string;
  amount: bigint;
  currency: string;
}

/**
 * The postings one event causes, as one balanced transaction (empty when no money moves). `escrow` is the state
 * before the event (for EscrowCreated: after it, since nothing moves then).
 */
export function postingsFor(escrow: Escrow, event: DomainEvent): Posting[] {
  const { id, rail, currency } = escrow;
  const p = (account: string, amount: bigint): Posting => ({ account, amount, currency });
  const nonZero = (ps: Posting[]) => ps.filter((x) => x.amount !== 0n);
  switch (event.type) {
    case 'EscrowFundsHeld': {
      const amount = BigInt(event.data.amount);
      return nonZero([p(accounts.external(rail), -amount), p(accounts.holding(id), amount)]);
    }
    case 'EscrowReleased':
    case 'EscrowRefunded': {
      const seller = BigInt(event.data.sellerAmount);
      const buyer = event.type === 'EscrowRefunded' ? BigInt(event.data.buyerAmount) : 0n;
      const fee = BigInt(event.data.feeAmount);
      return nonZero([
        p(accounts.holding(id), -(seller + buyer + fee)),
        p(accounts.sellerPayable(id), seller),
        p(accounts.buyerRefundable(id), buyer),
        p(accounts.feeRevenue, fee),
      ]);
    }
    case 'SettlementSucceeded': {
      const amount = BigInt(event.data.amount);
      const from = event.data.kind === 'PAYOUT' ? accounts.sellerPayable(id) : accounts.buyerRefundable(id);
      return nonZero([p(from, -amount), p(accounts.external(rail), amount)]);
    }
    case 'EscrowCreated':
    case 'PaymentMismatchRecorded':
    case 'PaymentFailed':
    case 'EscrowCancelled':
    case 'EscrowDelivered':
    case 'DeliveryConfirmed':
    case 'DisputeOpened':
    case 'DisputeReviewStarted':
    case 'DisputeResolved':
    case 'SettlementFailed':
    case 'SettlementRetried':
    case 'EscrowFlaggedForReview':
      return [];
    default: {
      const _exhaustive: never = event;
      throw new Error(`unknown event ${(_exhaustive as { type: string }).type}`);
    }
  }
}

export interface LedgerEntry extends Posting {
  transactionId: string;
}

/**
 * Checks the SPEC §2 invariants for one escrow against its ledger entries and returns every violation found
 * (empty = healthy): each transaction balances per currency; holding is never negative and never above what was
 * funded; holding is zero once terminal; payables are zero once every settlement succeeded; released + refunded +
 * fees = funded once terminal.
 */
export function ledgerViolations(escrow: Escrow, entries: readonly LedgerEntry[]): string[] {
  const problems: string[] = [];
  const byTx = new Map<string, bigint>();
  const balance = new Map<string, bigint>();
  for (const e of entries) {
    const key = `${e.transactionId}/${e.currency}`;
    byTx.set(key, (byTx.get(key) ?? 0n) + e.amount);
    balance.set(e.account, (balance.get(e.account) ?? 0n) + e.amount);
    if (e.currency !== escrow.currency) problems.push(`entry in ${e.currency} on a ${escrow.currency} escrow`);
  }
  for (const [key, sum] of byTx) if (sum !== 0n) problems.push(`transaction ${key} does not balance (sum ${sum})`);
  const bal = (a: string) => balance.get(a) ?? 0n;
  const holding = bal(accounts.holding(escrow.id));
  if (holding < 0n) problems.push(`holding is negative (${holding})`);
  if (holding > escrow.fundedAmount) problems.push(`holding ${holding} exceeds funded ${escrow.fundedAmount}`);
  const expectedHolding = escrow.fundedAmount - escrow.releasedAmount - escrow.refundedAmount - escrow.feeAmount;
  if (holding !== expectedHolding) problems.push(`holding ${holding} != state's ${expectedHolding}`);
  const terminal = escrow.status === 'RELEASED' || escrow.status === 'REFUNDED' || escrow.status === 'CANCELLED';
  if (terminal) {
    if (holding !== 0n) problems.push(`terminal escrow still holds ${holding}`);
    if (escrow.releasedAmount + escrow.refundedAmount + escrow.feeAmount !== escrow.fundedAmount) {
      problems.push(
        `released ${escrow.releasedAmount} + refunded ${escrow.refundedAmount} + fees ${escrow.feeAmount} != funded ${escrow.fundedAmount}`,
      );
    }
  }
  const pendingPayout = sumSettlements(escrow, 'PAYOUT');
  const pendingRefund = sumSettlements(escrow, 'REFUND');
  if (bal(accounts.sellerPayable(escrow.id)) !== pendingPayout) {
    problems.push(`seller payable ${bal(accounts.sellerPayable(escrow.id))} != unsettled payouts ${pendingPayout}`);
  }
  if (bal(accounts.buyerRefundable(escrow.id)) !== pendingRefund) {
    problems.push(`buyer refundable ${bal(accounts.buyerRefundable(escrow.id))} != unsettled refunds ${pendingRefund}`);
  }
  return problems;
}

function sumSettlements(escrow: Escrow, kind: 'PAYOUT' | 'REFUND'): bigint {
  return escrow.settlements
    .filter((s) => s.kind === kind && s.status !== 'SUCCEEDED')
    .reduce((a, s) => a + s.amount, 0n);
}
