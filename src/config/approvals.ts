import { z } from 'zod';

// Dual control (SPEC §8, seed 003: the treasury is 2-of-3): ADMIN_APPROVAL_THRESHOLD per currency in minor units
// (`USD:1000000,EUR:1000000`), the format of KYC_THRESHOLD_AMOUNT; unset: off. ADMIN_APPROVAL_TTL_HOURS: how long a
// proposal waits for a second admin.

const THRESHOLDS = /^[A-Z]{3,5}:(0|[1-9]\d{0,17})(,[A-Z]{3,5}:(0|[1-9]\d{0,17}))*$/;

export const approvalVariables = {
  /** Per currency, minor units: an admin's release, refund or resolution moving more needs a second admin. */
  ADMIN_APPROVAL_THRESHOLD: z
    .string()
    .regex(THRESHOLDS, 'must look like USD:1000000,EUR:1000000 (minor units per currency)')
    .optional(),
  ADMIN_APPROVAL_TTL_HOURS: z.coerce.number().int().min(1).max(168).default(24),
};

/** What dual control runs with: no thresholds is off. */
export interface ApprovalConfig {
  thresholds: Record<string, bigint>;
  ttlMs: number;
}

export function approvalSection(env: {
  ADMIN_APPROVAL_THRESHOLD?: string | undefined;
  ADMIN_APPROVAL_TTL_HOURS: number;
}) {
  return { thresholds: thresholdsOf(env.ADMIN_APPROVAL_THRESHOLD), ttlMs: env.ADMIN_APPROVAL_TTL_HOURS * 3_600_000 };
}

/** A threshold for a currency the engine does not take is a mistake (it would never apply): named at start-up. */
export function approvalProblems(raw: Readonly<Record<string, string>>): string[] {
  const value = raw.ADMIN_APPROVAL_THRESHOLD;
  if (!value || !THRESHOLDS.test(value)) return [];
  const currencies = new Set(
    (raw.ESCROW_CURRENCIES ?? 'USD:2,EUR:2,GBP:2,NGN:2,USDC:6').split(',').map((c) => c.split(':')[0]),
  );
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [currency] of value.split(',').map((p) => p.split(':'))) {
    if (!currencies.has(currency))
      problems.push(
        `ADMIN_APPROVAL_THRESHOLD: ${currency} is not a currency of ESCROW_CURRENCIES (${[...currencies].join(', ')})`,
      );
    if (seen.has(currency!)) problems.push(`ADMIN_APPROVAL_THRESHOLD: ${currency} is named twice`);
    seen.add(currency!);
  }
  return problems;
}

function thresholdsOf(v: string | undefined): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const pair of v ? v.split(',') : []) {
    const [currency, minor] = pair.split(':') as [string, string];
    out[currency] = BigInt(minor);
  }
  return out;
}
