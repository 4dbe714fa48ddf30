import { DomainError, invalid, type Actor, type Rail } from '../domain/index.js';
import { IDENTIFIER_PATTERN, IDENTIFIER_RULE } from '../domain/limits.js';
import type { Clock, PaymentRail, PayoutAccount, PayoutAccountStore, SettlementStore } from './ports/index.js';

const IDENTIFIER = new RegExp(IDENTIFIER_PATTERN);
const ACCOUNT_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

export interface PayoutAccountRegistration {
  account: PayoutAccount;
  previousAccountId: string | null;
  /** Payouts that were waiting for this account and are due now (0 on a dry run). */
  wokenSettlements: number;
  dryRun: boolean;
}

/**
 * Sellers' payout destinations (SPEC §6 "Payout accounts"), registered by the marketplace per rail and checked at the
 * provider first (outside any transaction): an account the provider refuses is never stored. Registering one wakes
 * the seller's payouts that were waiting for it.
 */
export class PayoutAccountService {
  constructor(
    private readonly deps: {
      rails: ReadonlyMap<Rail, PaymentRail>;
      store: PayoutAccountStore;
      settlements: Pick<SettlementStore, 'wakeWaitingFor'>;
      clock: Clock;
    },
  ) {}

  async register(
    actor: Actor,
    input: { sellerId: string; rail: string; accountId: string; reason?: string; dryRun?: boolean },
  ): Promise<PayoutAccountRegistration> {
    const { sellerId, accountId } = input;
    if (!IDENTIFIER.test(sellerId)) throw invalid('sellerId', IDENTIFIER_RULE);
    const rail = this.railOf(input.rail);
    if (typeof accountId !== 'string' || !ACCOUNT_ID.test(accountId)) {
      throw invalid('accountId', 'must be 1-200 of A-Z a-z 0-9 _ . : - (e.g. acct_1Nv0FGQ9RKHgCVdK, RCP_x7k2, 0x…)');
    }
    const check = await rail.validatePayoutAccount({ sellerId, accountId });
    if (!check.ok) {
      throw new DomainError(
        'PAYOUT_ACCOUNT_REJECTED',
        `${rail.rail} does not accept ${accountId} as a payout account: ${check.reason}`,
        { errors: [{ field: 'accountId', message: check.reason }] },
      );
    }
    const at = this.deps.clock.now().toISOString();
    if (input.dryRun) {
      const current = await this.deps.store.get(sellerId, rail.rail);
      const account: PayoutAccount = {
        sellerId,
        rail: rail.rail,
        accountId: check.accountId,
        detail: check.detail,
        registeredBy: actor.id,
        createdAt: current?.createdAt ?? at,
        updatedAt: at,
      };
      return { account, previousAccountId: current?.accountId ?? null, wokenSettlements: 0, dryRun: true };
    }
    const change = {
      sellerId,
      rail: rail.rail,
      accountId: check.accountId,
      detail: check.detail,
      actor: { id: actor.id, role: actor.role },
      reason: input.reason?.trim() || 'registered by the marketplace',
      at,
    };
    const { account, previousAccountId } = await this.deps.store.put(change);
    const wokenSettlements = await this.deps.settlements.wakeWaitingFor(sellerId, rail.rail);
    return { account, previousAccountId, wokenSettlements, dryRun: false };
  }

  list(sellerId: string): Promise<PayoutAccount[]> {
    if (!IDENTIFIER.test(sellerId)) throw invalid('sellerId', IDENTIFIER_RULE);
    return this.deps.store.list(sellerId);
  }

  /** Settlements parked for a payout account or for the provider's final word (operators' view), oldest first. */
  waiting(limit: number, waitingFor?: 'PAYOUT_ACCOUNT' | 'PROVIDER') {
    return this.deps.store.waitingSettlements(limit, waitingFor);
  }

  private railOf(name: string): PaymentRail {
    const rail = this.deps.rails.get(name as Rail);
    if (!rail) {
      throw invalid('rail', `must be an enabled rail: ${[...this.deps.rails.keys()].join(', ') || 'none'}`);
    }
    return rail;
  }
}
