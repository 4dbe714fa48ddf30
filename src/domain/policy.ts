import type { EscrowPolicy } from './commands.js';
import { DEFAULT_FEES } from './fees.js';
import { DEFAULT_CURRENCY_EXPONENTS } from './money.js';
import type { Rail } from './types.js';

export const DEFAULT_RAIL_CURRENCIES: Readonly<Record<Rail, readonly string[]>> = {
  SANDBOX: ['USD', 'EUR', 'GBP', 'NGN', 'USDC'],
  STRIPE: ['USD', 'EUR', 'GBP'],
  USDC_BASE: ['USDC'],
  PAYSTACK: ['NGN'],
};

/** SPEC defaults: 7-day payment deadline, 7-day confirmation deadline, SPEC §2 fees. */
export const DEFAULT_POLICY: EscrowPolicy = {
  paymentDeadlineDays: 7,
  autoRefundDeadlineDays: 7,
  fees: DEFAULT_FEES,
  railCurrencies: DEFAULT_RAIL_CURRENCIES,
  currencyExponents: DEFAULT_CURRENCY_EXPONENTS,
};
