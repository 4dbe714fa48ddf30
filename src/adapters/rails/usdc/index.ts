import { railPlugin } from '../shared/plugin.js';
import { configureUsdc, usdcVariables } from './config.js';
import { UsdcRail } from './usdcRail.js';

/** USDC on Base through a custodian REST API (docs/custodian-api.yaml). */
export const usdcBase = railPlugin({
  rail: 'USDC_BASE',
  provider: 'custodian',
  variables: usdcVariables,
  configure: configureUsdc,
  create: (settings) => new UsdcRail(settings),
});

export { UsdcRail } from './usdcRail.js';
export { signCustodianWebhook } from './webhook.js';
export { checkBaseAddress } from './address.js';
export { CUSTODIAN_SIGNATURE_HEADER, CUSTODIAN_TIMESTAMP_HEADER } from './custodianTypes.js';
export type { UsdcSettings } from './config.js';
