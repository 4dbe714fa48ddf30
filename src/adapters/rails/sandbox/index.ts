import { railPlugin } from '../shared/plugin.js';
import { configureSandbox, sandboxVariables } from './config.js';
import { SandboxRail } from './sandboxRail.js';

/** The built-in SANDBOX rail: for development, demos and tests; it moves no money. */
export const sandbox = railPlugin({
  rail: 'SANDBOX',
  provider: 'sandbox',
  variables: sandboxVariables,
  configure: configureSandbox,
  create: (settings) => new SandboxRail(settings),
});

export { SandboxRail, SANDBOX_MAGIC, SANDBOX_SIGNATURE_HEADER } from './sandboxRail.js';
export { SandboxPaymentSimulator } from './paymentSimulator.js';
export type { SandboxSettings } from './config.js';
