import { z } from 'zod';
import type { RailConfigContext, RailConfigResult } from '../shared/plugin.js';

export interface SandboxSettings {
  /** HMAC secret of sandbox webhooks. */
  webhookSecret: string;
  /** Base of the payment instructions' payUrl. */
  apiUrl: string;
}

/** The development secret of the sandbox rail. Sandbox webhooks move no real money. */
export const DEV_SANDBOX_SECRET = 'sandbox-development-webhook-secret';

export const sandboxVariables = {
  SANDBOX_ENABLED: z.enum(['true', 'false', '1', '0']).optional(),
  SANDBOX_WEBHOOK_SECRET: z.string().min(16).optional(),
};

/** The sandbox moves no money: on by default outside production, and in production only on request. */
export function configureSandbox(
  raw: Readonly<Record<string, string>>,
  ctx: RailConfigContext,
): RailConfigResult<SandboxSettings> {
  const problems: string[] = [];
  const requested = raw.SANDBOX_ENABLED === 'true' || raw.SANDBOX_ENABLED === '1';
  const enabled = ctx.listed && (!ctx.production || requested);
  if (ctx.listed && ctx.production && !requested) {
    // Everything it takes, in one message: the operator should not learn the second condition on the next start.
    problems.push(
      'ESCROW_RAILS: SANDBOX is disabled in production unless SANDBOX_ENABLED=true' +
        (raw.SANDBOX_WEBHOOK_SECRET ? '' : ' (with a SANDBOX_WEBHOOK_SECRET of its own, at least 16 characters)') +
        '; or leave SANDBOX out of ESCROW_RAILS',
    );
  }
  if (enabled && ctx.production && !raw.SANDBOX_WEBHOOK_SECRET) {
    problems.push(
      'SANDBOX_WEBHOOK_SECRET: required when the SANDBOX rail is enabled in production (at least 16 characters)',
    );
  } else if (enabled && ctx.production && raw.SANDBOX_WEBHOOK_SECRET === DEV_SANDBOX_SECRET) {
    // Every copy of this code knows it: anyone could sign a "payment" webhook.
    problems.push('SANDBOX_WEBHOOK_SECRET: must be a secret of its own in production, not the development secret');
  }
  return {
    enabled,
    settings: { webhookSecret: raw.SANDBOX_WEBHOOK_SECRET ?? DEV_SANDBOX_SECRET, apiUrl: ctx.apiUrl },
    problems,
  };
}
