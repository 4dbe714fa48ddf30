import type { PaymentRail } from '../../app/ports/index.js';
import type { Rail } from '../../domain/index.js';
import { sandbox } from './sandbox/index.js';
import { paystack } from './paystack/index.js';
import { stripe } from './stripe/index.js';
import { usdcBase } from './usdc/index.js';
import type { RailConfigContext, RailPlugin } from './shared/plugin.js';

/** Every rail this version ships: the enabled rails, webhook routes, `rail` schema and configuration derive from it. */
export const RAIL_PLUGINS = [sandbox, stripe, paystack, usdcBase] as const;

type Plugins = (typeof RAIL_PLUGINS)[number];
type SettingsOf<P> = P extends RailPlugin<infer S> ? S : never;

/** Each shipped rail's settings, by rail. */
export type RailSettings = { [P in Plugins as P['rail']]: SettingsOf<P> };

/** The rails part of the configuration: which rails run and each one's settings. */
export interface RailsConfig {
  enabled: Rail[];
  settings: RailSettings;
}

/** Rails this version has an adapter for. */
export const SHIPPED_RAILS: readonly Rail[] = RAIL_PLUGINS.map((p) => p.rail);

type Merged<U> = (U extends unknown ? (u: U) => void : never) extends (m: infer M) => void ? M : never;

/** Every rail section's variables, merged into the configuration's one validation. */
export const railVariables = () =>
  Object.assign({}, ...RAIL_PLUGINS.map((p) => p.variables)) as Merged<Plugins['variables']>;

/** Runs every rail's configuration section; `listed` is ESCROW_RAILS. */
export function configureRails(
  raw: Readonly<Record<string, string>>,
  listed: readonly string[],
  ctx: Omit<RailConfigContext, 'listed'>,
): { rails: RailsConfig; problems: string[] } {
  const problems: string[] = [];
  const enabled: Rail[] = [];
  const settings: Record<string, unknown> = {};
  for (const p of RAIL_PLUGINS) {
    const out = p.configure(raw, { ...ctx, listed: listed.includes(p.rail) });
    problems.push(...out.problems);
    settings[p.rail] = out.settings;
    if (out.enabled) enabled.push(p.rail);
  }
  return { rails: { enabled, settings: settings as RailSettings }, problems };
}

/** The adapters of the enabled rails. */
export function createRails(config: RailsConfig): Map<Rail, PaymentRail> {
  const rails = new Map<Rail, PaymentRail>();
  for (const p of RAIL_PLUGINS as readonly RailPlugin[]) {
    if (config.enabled.includes(p.rail))
      rails.set(p.rail, p.create((config.settings as Record<string, unknown>)[p.rail]));
  }
  return rails;
}
