import { railPlugin } from '../shared/plugin.js';
import { configureStripe, stripeVariables } from './config.js';
import { StripeRail } from './stripeRail.js';

/** The STRIPE rail: separate charges and transfers through the official SDK (SPEC §6). */
export const stripe = railPlugin({
  rail: 'STRIPE',
  provider: 'stripe',
  variables: stripeVariables,
  configure: configureStripe,
  create: (settings) => new StripeRail(settings),
});

export { StripeRail, STRIPE_SIGNATURE_HEADER } from './stripeRail.js';
export { configureStripe, stripeVariables } from './config.js';
export type { StripeSettings } from './config.js';
