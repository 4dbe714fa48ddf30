import type { DecideContext, KycTiers } from '../commands.js';
import { DomainError } from '../errors.js';
import { money } from './railLimits.js';

// KYC gating (SPEC §6, issue 12): escrows above the currency's threshold need both parties at the minimum tier.

interface Gated {
  buyerId: string;
  sellerId: string;
  currency: string;
  amount: bigint;
}

/** The threshold an escrow exceeds (minor units), or null when KYC gating does not apply to it. */
export function kycGate(e: Pick<Gated, 'currency' | 'amount'>, ctx: Pick<DecideContext, 'policy'>): bigint | null {
  const { kyc } = ctx.policy;
  if (!kyc.enabled || !Object.hasOwn(kyc.thresholds, e.currency)) return null;
  const threshold = kyc.thresholds[e.currency]!;
  return e.amount > threshold ? threshold : null;
}

/**
 * Refuses a gated escrow unless both parties are at the minimum tier, naming each party below it (or whose tier the
 * caller did not vouch for) and what is needed. A tier is valid only as a non-negative integer.
 */
export function assertKyc(e: Gated, tiers: KycTiers | undefined, ctx: DecideContext): void {
  const threshold = kycGate(e, ctx);
  if (threshold === null) return;
  const need = ctx.policy.kyc.minimumTier;
  const short: { field: string; message: string }[] = [];
  for (const [party, id] of [
    ['buyer', e.buyerId],
    ['seller', e.sellerId],
  ] as const) {
    const tier = tiers?.[party];
    const known = typeof tier === 'number' && Number.isInteger(tier) && tier >= 0;
    if (known && tier >= need) continue;
    short.push({
      field: `${party}KycTier`,
      message: known
        ? `the ${party} ${id} is at KYC tier ${tier}; tier ${need} or higher is needed`
        : `the ${party} ${id}'s KYC tier is unknown to this request: the ${party}'s own token carries it (kyc_tier), or a service caller passes ${party}KycTier`,
    });
  }
  if (short.length === 0) return;
  const over = money(threshold, e.currency, ctx.policy);
  throw new DomainError(
    'KYC_REQUIRED',
    `escrows above ${over} need both parties at KYC tier ${need} or higher: ${short.map((s) => s.message).join('; ')}`,
    { errors: short },
  );
}
