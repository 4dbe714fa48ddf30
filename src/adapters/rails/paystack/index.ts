import { railPlugin } from '../shared/plugin.js';
import { configurePaystack, paystackVariables } from './config.js';
import { PaystackRail } from './paystackRail.js';

/** The PAYSTACK rail: transactions for payments, transfers for payouts, refunds; webhooks signed HMAC-SHA512. */
export const paystack = railPlugin({
  rail: 'PAYSTACK',
  provider: 'paystack',
  variables: paystackVariables,
  configure: configurePaystack,
  create: (settings) => new PaystackRail(settings),
});

export { PaystackRail } from './paystackRail.js';
export { paystackReference, toSubunits } from './paystackApi.js';
export { PAYSTACK_SIGNATURE_HEADER, signPaystack, chargeSuccessEventId } from './webhook.js';
export { configurePaystack, paystackVariables, DEFAULT_PAYSTACK_API_URL } from './config.js';
export type { PaystackSettings } from './config.js';
