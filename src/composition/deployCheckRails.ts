import type Stripe from 'stripe';
import type { CheckItem } from '../app/dailyCheck.js';
import { RailError, type PaymentRail } from '../app/ports/index.js';
import { createRails, type RailsConfig } from '../adapters/rails/registry.js';
import { StripeRail } from '../adapters/rails/stripe/index.js';
import { toRailError } from '../adapters/rails/stripe/errors.js';
import type { Config } from '../config/index.js';
import type { Rail } from '../domain/index.js';
import { failure, guard, messageOf } from './deployCheckGuard.js';

/** The events docs/rails.md says to subscribe the Stripe endpoint to. */
export const STRIPE_WEBHOOK_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'refund.updated',
  'refund.failed',
  'charge.refund.updated',
  'transfer.created',
  'transfer.reversed',
  'charge.dispute.created',
] as const;

/** Per rail: the call that proves the key (the adapter's treasury read) and the variables to fix. */
const PROVIDER: Record<Exclude<Rail, 'SANDBOX'>, { call: string; key: string; url: string }> = {
  STRIPE: { call: 'GET /v1/balance', key: 'STRIPE_SECRET_KEY', url: 'STRIPE_API_URL' },
  PAYSTACK: { call: 'GET /balance', key: 'PAYSTACK_SECRET_KEY', url: 'PAYSTACK_API_URL' },
  USDC_BASE: { call: 'GET /v1/balances', key: 'CUSTODIAN_API_KEY', url: 'CUSTODIAN_API_URL' },
};

/** Where a provider without a webhook API is configured by hand. */
const BY_HAND: Record<string, string> = {
  paystack:
    'Paystack has no API for its webhook URL: in the dashboard (Settings → API Keys & Webhooks, live and test ' +
    'each) it must be',
  custodian:
    'the custodian contract (docs/custodian-api.yaml) has no webhook API: the shim must POST, signed with ' +
    'CUSTODIAN_WEBHOOK_SECRET, to',
};

/** The adapters as the check uses them: no retries, each attempt within the item's time. */
function checkRails(rails: RailsConfig, ms: number): RailsConfig {
  const s = rails.settings;
  return {
    enabled: rails.enabled,
    settings: {
      ...s,
      STRIPE: { ...s.STRIPE, maxNetworkRetries: 0, timeoutMs: Math.min(s.STRIPE.timeoutMs, ms) },
      PAYSTACK: { ...s.PAYSTACK, retries: 0, timeoutMs: Math.min(s.PAYSTACK.timeoutMs, ms) },
      USDC_BASE: { ...s.USDC_BASE, retries: 0, timeoutMs: Math.min(s.USDC_BASE.timeoutMs, ms) },
    },
  };
}

/** `rail:<RAIL>` for each enabled rail, and `webhooks:<provider>` for each with a provider. */
export async function railItems(config: Config, ms: number): Promise<CheckItem[]> {
  const rails = createRails(checkRails(config.rails, ms));
  const groups = await Promise.all(
    config.rails.enabled.map(async (rail): Promise<CheckItem[]> => {
      const adapter = rails.get(rail)!;
      if (rail === 'SANDBOX') return [sandboxItem(config)];
      return Promise.all([credentialsItem(rail, adapter, ms), webhooksItem(adapter, config, ms)]);
    }),
  );
  return groups.flat();
}

function sandboxItem(config: Config): CheckItem {
  const base = { name: 'rail:SANDBOX', question: 'SANDBOX rail: built in' };
  if (config.nodeEnv === 'production') {
    const value = 'enabled in production (SANDBOX_ENABLED=true): simulated payments, no real money';
    return { ...base, status: 'warn', value, next: 'leave SANDBOX out of ESCROW_RAILS unless it is meant' };
  }
  return { ...base, status: 'pass', value: 'built in: simulated payments, no provider to ask' };
}

/** Asks the provider for the platform's balance: an answer proves the key (nothing is written). */
async function credentialsItem(rail: Exclude<Rail, 'SANDBOX'>, adapter: PaymentRail, ms: number): Promise<CheckItem> {
  const p = PROVIDER[rail];
  const name = `rail:${rail}`;
  const question = `${rail} credentials: the provider accepts ${p.key}`;
  try {
    const balances = await guard(ms, () => adapter.platformBalance());
    const value = `${p.call} answered: the key works (${balances?.length ?? 0} balances)`;
    return { name, question, status: 'pass', value };
  } catch (err) {
    const e = rail === 'STRIPE' ? toRailError(p.call, err) : err;
    const status = e instanceof RailError ? e.details.status : 0;
    if (status === 401) {
      return failure(name, question, `the key is refused: ${messageOf(e)}`, `set ${p.key} to a working key`);
    }
    if (status === 403) {
      // authenticated, not allowed to read the balance (a restricted key): the engine does not need that permission
      const value = `the key authenticates but may not read the balance (${messageOf(e)})`;
      return { name, question, status: 'warn', value, next: `check ${p.key}'s permissions for what the rail calls` };
    }
    return failure(name, question, `the API does not answer: ${messageOf(e)}`, `check ${p.url} and the network`);
  }
}

async function webhooksItem(adapter: PaymentRail, config: Config, ms: number): Promise<CheckItem> {
  const provider = adapter.provider;
  const url = `${config.apiUrl.replace(/\/+$/, '')}/api/webhooks/${provider}`;
  const name = `webhooks:${provider}`;
  const question = `${provider} webhooks: an endpoint at ${url}`;
  if (!(adapter instanceof StripeRail)) {
    return { name, question, status: 'n/a', value: `${BY_HAND[provider] ?? 'set by hand to'} ${url}` };
  }
  try {
    const list = await guard(ms, () => adapter.stripe.webhookEndpoints.list({ limit: 100 }));
    return { name, question, ...stripeEndpointVerdict(list.data, url) };
  } catch (err) {
    const e = toRailError('GET /v1/webhook_endpoints', err);
    if (e.details.status === 403) {
      const value = `the key may not read webhook endpoints: ${e.message}`;
      return { name, question, status: 'warn', value, next: `check Dashboard → Developers → Webhooks for ${url}` };
    }
    return failure(name, question, e.message, 'check STRIPE_SECRET_KEY and STRIPE_API_URL');
  }
}

type Verdict = Pick<CheckItem, 'status' | 'value' | 'next'>;

/** One enabled endpoint at `url` with every event of docs/rails.md (or `*`). */
export function stripeEndpointVerdict(endpoints: Stripe.WebhookEndpoint[], url: string): Verdict {
  const same = (u: string) => u.replace(/\/+$/, '') === url;
  const add =
    `Dashboard → Developers → Webhooks: an endpoint at ${url} with ${STRIPE_WEBHOOK_EVENTS.join(', ')}; ` +
    'its signing secret is STRIPE_WEBHOOK_SECRET';
  const at = endpoints.filter((e) => same(e.url));
  const enabled = at.filter((e) => e.status === 'enabled');
  if (at.length === 0) {
    const others = endpoints.map((e) => e.url).join(', ');
    return { status: 'fail', value: `no endpoint at ${url}${others ? ` (there are: ${others})` : ''}`, next: add };
  }
  if (enabled.length === 0) {
    return {
      status: 'fail',
      value: `${at.map((e) => e.id).join(', ')} at ${url}: disabled`,
      next: `enable it: ${add}`,
    };
  }
  const missing = (e: Stripe.WebhookEndpoint) =>
    e.enabled_events.includes('*') ? [] : STRIPE_WEBHOOK_EVENTS.filter((t) => !e.enabled_events.includes(t));
  const best = enabled.reduce((a, b) => (missing(b).length < missing(a).length ? b : a));
  const lacking = missing(best);
  if (lacking.length > 0) {
    return { status: 'fail', value: `${best.id} at ${url} is not subscribed to ${lacking.join(', ')}`, next: add };
  }
  if (enabled.length > 1) {
    return {
      status: 'warn',
      value: `${enabled.length} enabled endpoints at ${url}: each signs with its own secret, one is refused`,
      next: 'keep one endpoint at this URL (its signing secret is STRIPE_WEBHOOK_SECRET)',
    };
  }
  const secret = 'the signing secret cannot be read back: a test event from the Dashboard proves STRIPE_WEBHOOK_SECRET';
  return { status: 'pass', value: `${best.id} enabled, ${STRIPE_WEBHOOK_EVENTS.length} events; ${secret}` };
}
