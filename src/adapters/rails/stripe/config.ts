import { z } from 'zod';
import type { RailConfigContext, RailConfigResult } from '../shared/plugin.js';

export interface StripeSettings {
  /** sk_… or rk_… (never logged). */
  secretKey: string;
  /** whsec_… of the webhook endpoint. */
  webhookSecret: string;
  /** Base URL of the API (tests point it at the fake); the SDK is given its host, port and protocol. */
  apiUrl: string;
  /** Pinned Stripe-Version; null: the SDK's own. */
  apiVersion: string | null;
  /** Per attempt. */
  timeoutMs: number;
  /** The SDK's retries (network errors, 409, 5xx) and the adapter's for 429, each with backoff. */
  maxNetworkRetries: number;
  /** Connect OAuth client id (ca_…), accepted for onboarding flows; unused by the rail itself. */
  connectClientId: string | null;
}

const DEFAULT_API_URL = 'https://api.stripe.com';
const digits = z.string().regex(/^[0-9]+$/, 'must be a whole number');

export const stripeVariables = {
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_URL: z.url().optional(),
  STRIPE_API_VERSION: z.string().min(1).optional(),
  STRIPE_TIMEOUT_MS: digits.optional(),
  STRIPE_MAX_NETWORK_RETRIES: digits.optional(),
  STRIPE_CONNECT_CLIENT_ID: z.string().optional(),
};

/** The STRIPE rail runs when ESCROW_RAILS lists it; it then needs its keys, and live keys in production. */
export function configureStripe(
  raw: Readonly<Record<string, string>>,
  ctx: RailConfigContext,
): RailConfigResult<StripeSettings> {
  const problems: string[] = [];
  const key = raw.STRIPE_SECRET_KEY ?? '';
  const whsec = raw.STRIPE_WEBHOOK_SECRET ?? '';
  if (ctx.listed) {
    if (!key) {
      problems.push(
        'STRIPE_SECRET_KEY: required when STRIPE is in ESCROW_RAILS (a secret key sk_live_… or a restricted key rk_live_…)',
      );
    } else if (!/^(sk|rk)_(live|test)_\S+$/.test(key)) {
      problems.push('STRIPE_SECRET_KEY: must be a Stripe secret key (sk_live_…/sk_test_…) or restricted key (rk_…)');
    } else if (ctx.production && /^(sk|rk)_test_/.test(key)) {
      problems.push(
        'STRIPE_SECRET_KEY: a test-mode key in production (NODE_ENV=production) moves no real money; use a live key ' +
          '(sk_live_… or rk_live_…)',
      );
    }
    if (!whsec) {
      problems.push(
        "STRIPE_WEBHOOK_SECRET: required when STRIPE is in ESCROW_RAILS (the endpoint's signing secret whsec_…)",
      );
    } else if (!/^whsec_\S+$/.test(whsec)) {
      problems.push("STRIPE_WEBHOOK_SECRET: must be the webhook endpoint's signing secret, starting with whsec_");
    }
  }
  const timeoutMs = Number(raw.STRIPE_TIMEOUT_MS ?? 10_000);
  const retries = Number(raw.STRIPE_MAX_NETWORK_RETRIES ?? 2);
  if (ctx.listed && (timeoutMs < 100 || timeoutMs > 120_000)) {
    problems.push('STRIPE_TIMEOUT_MS: must be between 100 and 120000 (milliseconds per attempt)');
  }
  if (ctx.listed && retries > 10) problems.push('STRIPE_MAX_NETWORK_RETRIES: must be at most 10');
  return {
    enabled: ctx.listed,
    settings: {
      secretKey: key,
      webhookSecret: whsec,
      apiUrl: raw.STRIPE_API_URL ?? DEFAULT_API_URL,
      apiVersion: raw.STRIPE_API_VERSION ?? null,
      timeoutMs,
      maxNetworkRetries: retries,
      connectClientId: raw.STRIPE_CONNECT_CLIENT_ID ?? null,
    },
    problems,
  };
}
