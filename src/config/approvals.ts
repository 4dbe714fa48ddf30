import { z } from 'zod';
import { amountsOf, perCurrencyAmounts, perCurrencyProblems } from './perCurrency.js';

// Dual control (SPEC §8, seed 003: the treasury is 2-of-3): ADMIN_APPROVAL_THRESHOLD per currency in minor units
// (`USD:1000000,EUR:1000000`), the format of KYC_THRESHOLD_AMOUNT; unset: off. ADMIN_APPROVAL_TTL_HOURS: how long a
// proposal waits for a second admin.

export const approvalVariables = {
  /** Per currency, minor units: an admin's release, refund or resolution moving more needs a second admin. */
  ADMIN_APPROVAL_THRESHOLD: perCurrencyAmounts('USD:1000000,EUR:1000000'),
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
  return { thresholds: amountsOf(env.ADMIN_APPROVAL_THRESHOLD), ttlMs: env.ADMIN_APPROVAL_TTL_HOURS * 3_600_000 };
}

/** A threshold for a currency the engine does not take is a mistake (it would never apply): named at start-up. */
export const approvalProblems = (raw: Readonly<Record<string, string>>): string[] =>
  perCurrencyProblems('ADMIN_APPROVAL_THRESHOLD', raw);
