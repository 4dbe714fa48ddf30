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
  /** Money received that funds nothing (one account; its balance is kept per currency). */
  suspense: 'platform:suspense',
} as const;

export type AccountKind = 'EXTERNAL' | 'HOLDING' | 'SELLER_PAYABLE' | 'BUYER_REFUNDABLE' | 'FEE_REVENUE' | 'SUSPENSE';

export function accountKind(account: string): AccountKind {
  if (account.startsWith('external:')) return 'EXTERNAL';
  if (account === accounts.feeRevenue) return 'FEE_REVENUE';
  if (account === accounts.suspense) return 'SUSPENSE';
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
    case 'EscrowRefunded':
    case 'MilestoneReleased':
    case 'MilestoneRefunded': {
      const seller = BigInt(event.data.sellerAmount);
      const buyer = event.type === 'EscrowReleased' ? 0n : BigInt(event.data.buyerAmount);
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
      // a refund from suspense may be in another currency than the escrow's
      const cur = escrow.settlements.find((s) => s.id === event.data.settlementId)?.currency ?? currency;
      return nonZero([in_(cur, from, -amount), in_(cur, accounts.external(rail), amount)]);
    }
    case 'SuspenseBooked':
    case 'SuspenseRefunded':
    case 'SuspenseApplied':
      return nonZero(suspensePostings(escrow, event));
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
    case 'ReviewFlagCleared':
    case 'DisputeEvidenceAdded':
    case 'MilestonesDefined':
    case 'MilestoneDelivered':
    case 'VaultSet':
    case 'VaultRevealed':
      return [];
    default: {
      const _exhaustive: never = event;
      throw new Error(`unknown event ${(_exhaustive as { type: string }).type}`);
    }
  }
}

const in_ = (currency: string, account: string, amount: bigint): Posting => ({ account, amount, currency });

/** Into suspense from the outside world, out of it to the buyer (refund) or into holding (applied). */
function suspensePostings(
  escrow: Escrow,
  event: Extract<DomainEvent, { type: 'SuspenseBooked' | 'SuspenseRefunded' | 'SuspenseApplied' }>,
): Posting[] {
  const { currency } = event.data;
  const amount = BigInt(event.data.amount);
  const to =
    event.type === 'SuspenseBooked'
      ? accounts.external(escrow.rail)
      : event.type === 'SuspenseRefunded'
        ? accounts.buyerRefundable(escrow.id)
        : accounts.holding(escrow.id);
  const sign = event.type === 'SuspenseBooked' ? 1n : -1n;
  return [in_(currency, accounts.suspense, sign * amount), in_(currency, to, -sign * amount)];
}

export interface LedgerEntry extends Posting {
  transactionId: string;
}

/**
 * Checks the SPEC §2 invariants for one escrow against its ledger entries and returns every violation found
 * (empty = healthy): each transaction balances per currency; holding is never negative and never above what was
 * funded; holding is zero once terminal; payables are zero once every settlement succeeded; released + refunded +
 * fees = funded once terminal; the escrow's suspense balance is its open suspense items, per currency.
 */
export function ledgerViolations(escrow: Escrow, entries: readonly LedgerEntry[]): string[] {
  const problems: string[] = [];
  const byTx = new Map<string, bigint>();
  const balance = new Map<string, bigint>();
  const suspenseCurrencies = new Set(escrow.suspense.map((s) => s.currency));
  for (const e of entries) {
    const key = `${e.transactionId}/${e.currency}`;
    byTx.set(key, (byTx.get(key) ?? 0n) + e.amount);
    balance.set(`${e.account}/${e.currency}`, (balance.get(`${e.account}/${e.currency}`) ?? 0n) + e.amount);
    const foreignOk = suspenseCurrencies.has(e.currency) && accountKind(e.account) !== 'HOLDING';
    if (e.currency !== escrow.currency && !foreignOk) {
      problems.push(`entry in ${e.currency} on a ${escrow.currency} escrow`);
    }
  }
  for (const [key, sum] of byTx) if (sum !== 0n) problems.push(`transaction ${key} does not balance (sum ${sum})`);
  const bal = (a: string, currency = escrow.currency) => balance.get(`${a}/${currency}`) ?? 0n;
  problems.push(...holdingViolations(escrow, bal(accounts.holding(escrow.id))));
  const pendingPayout = sumSettlements(escrow, 'PAYOUT', escrow.currency);
  if (bal(accounts.sellerPayable(escrow.id)) !== pendingPayout) {
    problems.push(`seller payable ${bal(accounts.sellerPayable(escrow.id))} != unsettled payouts ${pendingPayout}`);
  }
  for (const cur of new Set([escrow.currency, ...suspenseCurrencies])) {
    const unit = cur === escrow.currency ? '' : ` ${cur}`;
    const pendingRefund = sumSettlements(escrow, 'REFUND', cur);
    const refundable = bal(accounts.buyerRefundable(escrow.id), cur);
    if (refundable !== pendingRefund) {
      problems.push(`buyer refundable ${refundable}${unit} != unsettled refunds ${pendingRefund}${unit}`);
    }
    const open = escrow.suspense.filter((s) => s.status === 'OPEN' && s.currency === cur);
    const held = bal(accounts.suspense, cur);
    const due = open.reduce((a, s) => a + s.amount, 0n);
    if (held !== due) problems.push(`suspense holds ${held} ${cur} but the open suspense items add up to ${due}`);
  }
  return problems;
}

function holdingViolations(escrow: Escrow, holding: bigint): string[] {
  const problems: string[] = [];
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
  return problems;
}

function sumSettlements(escrow: Escrow, kind: 'PAYOUT' | 'REFUND', currency: string): bigint {
  return escrow.settlements
    .filter((s) => s.kind === kind && s.status !== 'SUCCEEDED' && s.currency === currency)
    .reduce((a, s) => a + s.amount, 0n);
}
