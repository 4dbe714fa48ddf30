import type { z } from 'zod';
import type { PaymentRail } from '../../../app/ports/index.js';
import type { Rail } from '../../../domain/index.js';

/** What a rail's configuration section is told about the rest of the configuration. */
export interface RailConfigContext {
  /** NODE_ENV=production. */
  production: boolean;
  /** ESCROW_RAILS lists this rail. */
  listed: boolean;
  /** The API's public base URL (API_URL). */
  apiUrl: string;
}

/** A configuration section's verdict: whether the rail runs, its settings, and what is wrong (reported with the rest). */
export interface RailConfigResult<S> {
  enabled: boolean;
  settings: S;
  problems: string[];
}

/**
 * A payment rail as a plug-in: its environment variables, its configuration rules and its adapter. Adding a rail is a
 * folder exporting one of these and one line in `registry.ts`.
 */
export interface RailPlugin<S = unknown> {
  readonly rail: Rail;
  /** The provider's name in the webhook route: POST /api/webhooks/{provider}. */
  readonly provider: string;
  /** Its environment variables, validated with every other variable in one pass. */
  readonly variables: z.ZodRawShape;
  /** Rules across its variables (raw strings, as set), and the settings the adapter is built from. */
  configure(raw: Readonly<Record<string, string>>, ctx: RailConfigContext): RailConfigResult<S>;
  create(settings: S): PaymentRail;
}

/** Declares a plug-in with its settings type and its rail (as a literal, so settings are typed per rail) inferred. */
export const railPlugin = <S, R extends Rail>(
  p: RailPlugin<S> & { readonly rail: R },
): RailPlugin<S> & { readonly rail: R } => p;
