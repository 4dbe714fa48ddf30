import type { AmountRange, EscrowPolicy } from '../commands.js';
import { DomainError } from '../errors.js';
import { feeFor } from '../fees.js';
import { formatMajor } from '../money.js';
import type { Rail } from '../types.js';

// A rail's limits per escrow (policy.railLimits), checked on create: the decider refuses the same creates whether
// they come over HTTP or through Kafka.

/** The create as the limits see it: the parsed amount and buyer fee, and whether the caller set that fee. */
export interface LimitedCreate {
  rail: Rail;
  currency: string;
  amount: bigint;
  buyerFee: bigint;
  /** A service or admin caller set the buyer fee: it stays the same whatever the amount. */
  buyerFeeSet: boolean;
}

/**
 * Refuses a create whose buyer would pay (amount + buyer fee: what the rail charges) outside the rail's range for the
 * currency, with AMOUNT_OUTSIDE_RAIL_LIMITS, naming the limit, the amount that would fit and (above the limit) the
 * rails without an upper limit. A rail and currency not in the table has no limit beyond the engine's own range.
 */
export function assertWithinRailLimits(c: LimitedCreate, policy: EscrowPolicy): void {
  const limits = Object.hasOwn(policy.railLimits, c.rail) ? policy.railLimits[c.rail] : undefined;
  const range = limits && Object.hasOwn(limits, c.currency) ? limits[c.currency] : undefined;
  if (!range) return;
  const paid = c.amount + c.buyerFee;
  if (paid < range.min) throw belowMinimum(c, range.min, policy);
  if (range.max !== null && paid > range.max) throw aboveMaximum(c, range.max, policy);
}

function belowMinimum(c: LimitedCreate, min: bigint, policy: EscrowPolicy): DomainError {
  const smallest = smallestAmount(c, min, policy);
  const fits = smallest === min ? '' : `; the smallest amount is ${smallest}`;
  return refusal(
    `${charged(c)} is below the ${c.rail} minimum of ${money(min, c.currency, policy)} per escrow${fits}`,
    'amount',
    `must be at least ${smallest} on ${c.rail} in ${c.currency}${c.buyerFee > 0n ? ' (with the buyer fee)' : ''}`,
  );
}

function aboveMaximum(c: LimitedCreate, max: bigint, policy: EscrowPolicy): DomainError {
  const limit = `the ${c.rail} limit of ${money(max, c.currency, policy)} per escrow`;
  const largest = largestAmount(c, max, policy);
  if (largest === null) {
    return refusal(
      `the buyer fee of ${c.buyerFee} ${c.currency} alone leaves no amount within ${limit}`,
      'buyerFee',
      `must be less than ${max} on ${c.rail} in ${c.currency}`,
    );
  }
  const fits = largest === max ? '' : `; the largest amount is ${largest}`;
  const elsewhere = unlimitedRails(c.rail, policy);
  const hint = elsewhere.length > 0 ? `; use ${elsewhere.join(' or ')} for larger amounts` : '';
  return refusal(
    `${charged(c)} is above ${limit}${fits}${hint}`,
    'amount',
    `must be at most ${largest} on ${c.rail} in ${c.currency}${c.buyerFee > 0n ? ' (with the buyer fee)' : ''}`,
  );
}

const refusal = (message: string, field: string, rule: string) =>
  new DomainError('AMOUNT_OUTSIDE_RAIL_LIMITS', message, { errors: [{ field, message: rule }] });

/** "amount 1000000 USD with the buyer fee of 29030 (1029030 to pay)": what the limit is compared with. */
const charged = (c: LimitedCreate) =>
  `amount ${c.amount} ${c.currency}` +
  (c.buyerFee > 0n ? ` with the buyer fee of ${c.buyerFee} (${c.amount + c.buyerFee} to pay)` : '');

/** "1000000 (10,000.00 USD)": minor units as sent, then for a person. */
export function money(minor: bigint, currency: string, policy: EscrowPolicy): string {
  const exponent = Object.hasOwn(policy.currencyExponents, currency) ? policy.currencyExponents[currency] : undefined;
  if (exponent === undefined) return `${minor}`;
  const [whole = '0', fraction] = formatMajor(minor, exponent).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${minor} (${grouped}${fraction === undefined ? '' : `.${fraction}`} ${currency})`;
}

/** What the buyer pays for an amount: the fee the caller set, or the policy's fee for that amount. */
function paidFor(c: LimitedCreate, amount: bigint, policy: EscrowPolicy): bigint {
  return amount + (c.buyerFeeSet ? c.buyerFee : feeFor(policy.fees[c.rail].buyer, amount));
}

/** The largest amount ≥ 1 whose buyer pays at most `max`, or null when none does (paidFor grows with the amount). */
function largestAmount(c: LimitedCreate, max: bigint, policy: EscrowPolicy): bigint | null {
  if (paidFor(c, 1n, policy) > max) return null;
  let [lo, hi] = [1n, max];
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (paidFor(c, mid, policy) <= max) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

/** The smallest amount ≥ 1 whose buyer pays at least `min` (`min` itself always does). */
function smallestAmount(c: LimitedCreate, min: bigint, policy: EscrowPolicy): bigint {
  let [lo, hi] = [1n, min > 1n ? min : 1n];
  while (lo < hi) {
    const mid = (lo + hi) / 2n;
    if (paidFor(c, mid, policy) >= min) hi = mid;
    else lo = mid + 1n;
  }
  return lo;
}

/** Rails (SANDBOX aside) taking some currency with no upper limit: "USDC_BASE (USDC)". */
function unlimitedRails(rail: Rail, policy: EscrowPolicy): string[] {
  const found: string[] = [];
  for (const [other, currencies] of Object.entries(policy.railCurrencies) as [Rail, readonly string[]][]) {
    if (other === rail || other === 'SANDBOX') continue;
    const limits = policy.railLimits[other] as Readonly<Record<string, AmountRange>> | undefined;
    const open = currencies.filter((cur) => !limits || !Object.hasOwn(limits, cur) || limits[cur]?.max === null);
    if (open.length > 0) found.push(`${other} (${open.join(', ')})`);
  }
  return found;
}
