import { DomainError } from './errors.js';
import { MAX_MINOR, MINOR_UNITS_PATTERN } from './limits.js';

// Re-exported so that money's range stays importable beside the functions that enforce it.
export { MAX_MINOR };

/** Minor-unit exponent per currency (USD cents, USDC micro-units). */
export const DEFAULT_CURRENCY_EXPONENTS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  NGN: 2,
  USDC: 6,
};

const DIGITS = new RegExp(MINOR_UNITS_PATTERN);

/** Parses a digit-string amount in minor units. Rejects signs, decimals, exponents, floats and leading zeros. */
export function parseMinor(value: unknown, field = 'amount'): bigint {
  if (typeof value === 'bigint') return checkRange(value, field);
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be a string of digits in minor units, e.g. "10000"`, {
      errors: [{ field, message: 'must be a string of digits in minor units' }],
    });
  }
  return checkRange(BigInt(value), field);
}

function checkRange(v: bigint, field: string): bigint {
  if (v < 0n || v > MAX_MINOR) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be between 0 and ${MAX_MINOR}`, {
      errors: [{ field, message: `must be between 0 and ${MAX_MINOR}` }],
    });
  }
  return v;
}

/** Parses an amount that must be strictly positive. */
export function parsePositiveMinor(value: unknown, field = 'amount'): bigint {
  const v = parseMinor(value, field);
  if (v === 0n) {
    throw new DomainError('INVALID_AMOUNT', `${field} must be greater than zero`, {
      errors: [{ field, message: 'must be greater than zero' }],
    });
  }
  return v;
}

/**
 * Integer division rounded half to even ("banker's rounding"): the rounding used for every fee and pro-rata share.
 * Both operands must be non-negative and the divisor positive.
 */
export function divHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n) throw new RangeError('divHalfEven expects n >= 0, d > 0');
  const q = numerator / denominator;
  const r = numerator % denominator;
  const twice = r * 2n;
  if (twice > denominator) return q + 1n;
  if (twice < denominator) return q;
  return q % 2n === 0n ? q : q + 1n;
}

/** amount × bps / 10 000, half-even. */
export function applyBps(amount: bigint, bps: bigint): bigint {
  return divHalfEven(amount * bps, 10_000n);
}

/** Formats minor units as a decimal string for humans ("10050", USD → "100.50"). */
export function formatMajor(minor: bigint, exponent: number): string {
  const neg = minor < 0n;
  const s = (neg ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? s : s.slice(0, -exponent);
  const frac = exponent === 0 ? '' : `.${s.slice(-exponent)}`;
  return `${neg ? '-' : ''}${whole}${frac}`;
}

/** The one JSON replacer for amounts: JSON has no bigint, so every amount leaves as a digit string, never a number. */
export const minorAsString = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;
