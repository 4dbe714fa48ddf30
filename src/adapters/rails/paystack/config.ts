import { isIP } from 'node:net';
import { z } from 'zod';
import type { RailConfigContext, RailConfigResult } from '../shared/plugin.js';

export interface PaystackSettings {
  /** sk_live_… or sk_test_…: authenticates API calls and signs webhooks (Paystack has no separate webhook secret). */
  secretKey: string;
  /** https://api.paystack.co unless PAYSTACK_API_URL says otherwise. */
  apiUrl: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Where Paystack's checkout sends the buyer after paying (null: the dashboard's callback URL). */
  callbackUrl: string | null;
  /** Paystack needs a customer email: the buyer of escrow X is `buyer-X@<domain>`. */
  customerEmailDomain: string;
  /** Attempts after the first for calls safe to repeat (tests set it low). */
  retries?: number;
  /** First backoff (tests set it to 0). */
  baseDelayMs?: number;
  /** Injected in tests. */
  fetch?: typeof fetch;
}

export const DEFAULT_PAYSTACK_API_URL = 'https://api.paystack.co';
const DEFAULT_TIMEOUT_MS = 10_000;
const KEY = /^sk_(live|test)_[A-Za-z0-9]+$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

// Loose on purpose: the rules apply only when PAYSTACK is in ESCROW_RAILS (configurePaystack), so a stray value of a
// rail that is not run never stops the start.
export const paystackVariables = {
  PAYSTACK_SECRET_KEY: z.string().min(1).optional(),
  PAYSTACK_API_URL: z.string().url().optional(),
  PAYSTACK_TIMEOUT_MS: z.string().regex(/^\d+$/, 'must be a whole number of milliseconds').optional(),
  PAYSTACK_CALLBACK_URL: z.string().url().optional(),
  PAYSTACK_CUSTOMER_EMAIL_DOMAIN: z.string().min(1).optional(),
};

/** A host that can be an email domain (not localhost, not an IP address). */
const emailDomainOf = (url: string): string | null => {
  try {
    const host = new URL(url).hostname;
    return isIP(host) === 0 && DOMAIN.test(host) ? host.toLowerCase() : null;
  } catch {
    return null;
  }
};

/**
 * PAYSTACK runs when ESCROW_RAILS lists it. It needs PAYSTACK_SECRET_KEY (sk_live_… or sk_test_…; production refuses a
 * test key, which moves no money), and an email domain for the customer Paystack requires on every transaction:
 * PAYSTACK_CUSTOMER_EMAIL_DOMAIN, else API_URL's host when that is a real domain.
 */
export function configurePaystack(
  raw: Readonly<Record<string, string>>,
  ctx: RailConfigContext,
): RailConfigResult<PaystackSettings> {
  const problems: string[] = [];
  const key = raw.PAYSTACK_SECRET_KEY ?? '';
  const apiUrl = (raw.PAYSTACK_API_URL ?? DEFAULT_PAYSTACK_API_URL).replace(/\/+$/, '');
  const timeoutMs = raw.PAYSTACK_TIMEOUT_MS ? Number(raw.PAYSTACK_TIMEOUT_MS) : DEFAULT_TIMEOUT_MS;
  const domain = raw.PAYSTACK_CUSTOMER_EMAIL_DOMAIN?.toLowerCase() ?? emailDomainOf(ctx.apiUrl);
  if (ctx.listed) {
    if (!key) {
      problems.push('PAYSTACK_SECRET_KEY: required when ESCROW_RAILS lists PAYSTACK (sk_live_… or sk_test_…)');
    } else if (!KEY.test(key)) {
      // Never echo the value: it is a secret.
      problems.push(
        'PAYSTACK_SECRET_KEY: must be a Paystack secret key, sk_live_… or sk_test_… (not a public pk_ key)',
      );
    } else if (ctx.production && key.startsWith('sk_test_')) {
      problems.push(
        'PAYSTACK_SECRET_KEY: a test key (sk_test_…) in production moves no money; set the live key (sk_live_…), ' +
          'or leave PAYSTACK out of ESCROW_RAILS',
      );
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) {
      problems.push('PAYSTACK_TIMEOUT_MS: must be between 100 and 120000 milliseconds');
    }
    if (ctx.production && raw.PAYSTACK_API_URL && new URL(apiUrl).protocol !== 'https:') {
      problems.push('PAYSTACK_API_URL: must be https in production (the secret key travels with every call)');
    }
    if (!domain) {
      problems.push(
        `PAYSTACK_CUSTOMER_EMAIL_DOMAIN: required, as API_URL's host (${ctx.apiUrl}) is no email domain: Paystack ` +
          'needs a customer email on every transaction, and the buyer of escrow X is buyer-X@<this domain>',
      );
    } else if (!DOMAIN.test(domain)) {
      problems.push('PAYSTACK_CUSTOMER_EMAIL_DOMAIN: must be a domain name, e.g. payments.example.com');
    }
  }
  return {
    enabled: ctx.listed,
    settings: {
      secretKey: key,
      apiUrl,
      timeoutMs: Number.isInteger(timeoutMs) ? timeoutMs : DEFAULT_TIMEOUT_MS,
      callbackUrl: raw.PAYSTACK_CALLBACK_URL ?? null,
      customerEmailDomain: domain ?? 'invalid',
    },
    problems,
  };
}
