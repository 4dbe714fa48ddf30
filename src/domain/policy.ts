import type { EscrowPolicy, RailLimits } from './commands.js';
import { DEFAULT_FEES } from './fees.js';
import { DEFAULT_CURRENCY_EXPONENTS } from './money.js';
import type { Rail } from './types.js';

export const DEFAULT_RAIL_CURRENCIES: Readonly<Record<Rail, readonly string[]>> = {
  SANDBOX: ['USD', 'EUR', 'GBP', 'NGN', 'USDC'],
  STRIPE: ['USD', 'EUR', 'GBP'],
  USDC_BASE: ['USDC'],
  PAYSTACK: ['NGN'],
};

/**
 * A card escrow's largest charge: 10,000.00 per escrow (issue 11, after seed 002's marketplaces: "Stripe up to 10,000
 * USD, USDC above"), well inside Stripe's own eight-digit maximum (999,999.99). Larger escrows go on USDC_BASE.
 */
const STRIPE_MAX = 1_000_000n;

/**
 * What one escrow may charge the buyer (amount + buyer fee, minor units) per rail and currency; ESCROW_RAIL_LIMITS
 * replaces any pair. Neither SPEC.md nor the deployment guides (shared/seeds) give a number: each has its source here.
 * - SANDBOX: none beyond the engine's 1..MAX_MINOR.
 * - STRIPE: Stripe's minimum charge per currency as its "Supported currencies" page lists it (0.50 USD, 0.50 EUR,
 *   0.30 GBP; Stripe checks it after converting to the account's settlement currency, so a charge in another
 *   currency near the minimum can still be refused there); at most 10,000.00 per escrow (STRIPE_MAX), which
 *   ESCROW_RAIL_LIMITS may raise up to Stripe's own 99,999,999.
 * - PAYSTACK: NGN 50.00 (5000 kobo), the lowest NGN payment Paystack takes as integrations document it; Paystack
 *   publishes no per-payment maximum that was found, so 10,000,000.00 NGN, the cap integrations use, is the default.
 * - USDC_BASE: at least 1 USDC (on-chain transfers and risk screening make smaller escrows not worth their cost; an
 *   engine choice, not a custodian's rule), and no upper limit: the rail for amounts above the card rails' limits.
 */
export const DEFAULT_RAIL_LIMITS: RailLimits = {
  SANDBOX: {},
  STRIPE: {
    USD: { min: 50n, max: STRIPE_MAX },
    EUR: { min: 50n, max: STRIPE_MAX },
    GBP: { min: 30n, max: STRIPE_MAX },
  },
  PAYSTACK: { NGN: { min: 5_000n, max: 1_000_000_000n } },
  USDC_BASE: { USDC: { min: 1_000_000n, max: null } },
};

/**
 * SPEC defaults: 7-day payment deadline, 7-day confirmation deadline, SPEC §2 fees; rail limits as above; milestones
 * and KYC gating on (seed 002), with no KYC threshold until one is configured; a dispute's other party answers within
 * 3 days and the admins rule within DISPUTE_SLA_DAYS (7).
 */
export const DEFAULT_POLICY: EscrowPolicy = {
  paymentDeadlineDays: 7,
  autoRefundDeadlineDays: 7,
  fees: DEFAULT_FEES,
  railCurrencies: DEFAULT_RAIL_CURRENCIES,
  currencyExponents: DEFAULT_CURRENCY_EXPONENTS,
  railLimits: DEFAULT_RAIL_LIMITS,
  milestones: true,
  kyc: { enabled: true, thresholds: {}, minimumTier: 1 },
  disputeRespondDays: 3,
  disputeSlaDays: 7,
  vaultRevealStartsConfirmation: false,
};
