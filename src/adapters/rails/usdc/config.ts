import { z } from 'zod';
import type { RailConfigContext, RailConfigResult } from '../shared/plugin.js';

export interface UsdcSettings {
  /** The custodian's API (docs/custodian-api.yaml), e.g. https://custodian-shim.internal */
  apiUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** HMAC-SHA256 secret of the custodian's webhooks. */
  webhookSecret: string;
  /** A deposit funds the escrow once it has this many confirmations (SPEC §6: 12). */
  minConfirmations: number;
  /** Per custodian call. */
  timeoutMs: number;
  /** Retries of a repeatable call (tests make them fast). */
  retries?: number;
  baseDelayMs?: number;
}

export const DEFAULT_MIN_CONFIRMATIONS = 12;
export const DEFAULT_CUSTODIAN_TIMEOUT_MS = 10_000;

export const usdcVariables = {
  CUSTODIAN_API_URL: z.string().url().optional(),
  CUSTODIAN_API_KEY: z.string().min(16).optional(),
  CUSTODIAN_WEBHOOK_SECRET: z.string().min(16).optional(),
  USDC_MIN_CONFIRMATIONS: z
    .string()
    .regex(/^[1-9]\d{0,3}$/, 'an integer from 1 to 9999')
    .optional(),
  CUSTODIAN_TIMEOUT_MS: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, 'milliseconds, an integer from 1 to 999999')
    .optional(),
};

/** USDC_BASE runs when ESCROW_RAILS lists it, with the custodian's URL, key and webhook secret. */
export function configureUsdc(
  raw: Readonly<Record<string, string>>,
  ctx: RailConfigContext,
): RailConfigResult<UsdcSettings> {
  const problems: string[] = [];
  const settings: UsdcSettings = {
    apiUrl: raw.CUSTODIAN_API_URL ?? '',
    apiKey: raw.CUSTODIAN_API_KEY ?? '',
    webhookSecret: raw.CUSTODIAN_WEBHOOK_SECRET ?? '',
    minConfirmations: raw.USDC_MIN_CONFIRMATIONS ? Number(raw.USDC_MIN_CONFIRMATIONS) : DEFAULT_MIN_CONFIRMATIONS,
    timeoutMs: raw.CUSTODIAN_TIMEOUT_MS ? Number(raw.CUSTODIAN_TIMEOUT_MS) : DEFAULT_CUSTODIAN_TIMEOUT_MS,
  };
  if (!ctx.listed) return { enabled: false, settings, problems };
  if (!raw.CUSTODIAN_API_URL) {
    problems.push(
      'CUSTODIAN_API_URL: required when ESCROW_RAILS lists USDC_BASE (the custodian API, see docs/custodian-api.yaml)',
    );
  } else if (ctx.production && !raw.CUSTODIAN_API_URL.startsWith('https://')) {
    problems.push('CUSTODIAN_API_URL: must be an https:// URL in production (the API key travels with every call)');
  }
  if (!raw.CUSTODIAN_API_KEY) {
    problems.push('CUSTODIAN_API_KEY: required when ESCROW_RAILS lists USDC_BASE (at least 16 characters)');
  }
  if (!raw.CUSTODIAN_WEBHOOK_SECRET) {
    problems.push('CUSTODIAN_WEBHOOK_SECRET: required when ESCROW_RAILS lists USDC_BASE (at least 16 characters)');
  } else if (raw.CUSTODIAN_WEBHOOK_SECRET === raw.CUSTODIAN_API_KEY) {
    problems.push('CUSTODIAN_WEBHOOK_SECRET: must differ from CUSTODIAN_API_KEY');
  }
  return { enabled: true, settings, problems };
}
