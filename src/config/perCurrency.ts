import { z } from 'zod';

/**
 * Amounts per currency in minor units, `USD:100000,NGN:50000000`: the format of KYC_THRESHOLD_AMOUNT and
 * ADMIN_APPROVAL_THRESHOLD. One parser and one set of start-up checks for both.
 */
const PER_CURRENCY = /^[A-Z]{3,5}:(0|[1-9]\d{0,17})(,[A-Z]{3,5}:(0|[1-9]\d{0,17}))*$/;

/** The variable's schema: `example` is what the error message shows. */
export const perCurrencyAmounts = (example: string) =>
  z.string().regex(PER_CURRENCY, `must look like ${example} (minor units per currency)`).optional();

/** Minor units per currency (unset: none). */
export function amountsOf(value: string | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const pair of value ? value.split(',') : []) {
    const [currency, minor] = pair.split(':') as [string, string];
    out[currency] = BigInt(minor);
  }
  return out;
}

/**
 * A currency the engine does not take (it would never apply) or one named twice (which one holds?): each named at
 * start-up. A malformed value is the schema's to report.
 */
export function perCurrencyProblems(variable: string, raw: Readonly<Record<string, string>>): string[] {
  const value = raw[variable];
  if (!value || !PER_CURRENCY.test(value)) return [];
  const currencies = new Set(
    (raw.ESCROW_CURRENCIES ?? 'USD:2,EUR:2,GBP:2,NGN:2,USDC:6').split(',').map((c) => c.split(':')[0]),
  );
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [currency] of value.split(',').map((p) => p.split(':') as [string, string])) {
    if (!currencies.has(currency)) {
      problems.push(`${variable}: ${currency} is not a currency of ESCROW_CURRENCIES (${[...currencies].join(', ')})`);
    }
    if (seen.has(currency)) problems.push(`${variable}: ${currency} is named twice`);
    seen.add(currency);
  }
  return problems;
}
