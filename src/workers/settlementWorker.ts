import type { CommandHandler } from '../app/commandHandler.js';
import { systemEnvelope } from '../app/envelope.js';
import {
  settlementKey,
  type Clock,
  type PaymentRail,
  type SettlementOrder,
  type SettlementOutcome,
} from '../app/ports/index.js';
import type { ClaimedSettlement, LeaseOwner, SettlementStore } from '../app/ports/index.js';
import type { Rail } from '../domain/index.js';

export interface SettlementWorkerOptions {
  store: SettlementStore;
  rails: ReadonlyMap<Rail, PaymentRail>;
  handler: CommandHandler;
  clock: Clock;
  maxRetries: number;
  retryDelayMs: number;
  batchSize?: number;
  leaseMs?: number;
  /** When to look again at a settlement the provider accepted but has not finished (default 60 s). */
  recheckMs?: number;
  /** When to look again at a payout waiting for the seller's payout account (registering one wakes it at once). */
  accountRecheckMs?: number;
  /** This process as a lease holder: a lease held by a process whose heartbeat stopped is taken over at once. */
  owner?: LeaseOwner;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface SettlementRunSummary {
  claimed: number;
  succeeded: number;
  retrying: number;
  failed: number;
  /** Accepted by the provider, final word pending; or parked until the seller has a payout account. */
  waiting: number;
}

/**
 * The `settlements` role: moves decided money at the provider, outside any DB transaction. Each settlement is
 * leased (several workers are safe together), executed with its id as the provider's idempotency key, and its
 * outcome recorded through the command path. Failures retry with exponential backoff; after `maxRetries`
 * failures the settlement is FAILED (visible to operators) until an admin retries it.
 */
export class SettlementWorker {
  constructor(private readonly o: SettlementWorkerOptions) {}

  async runOnce(): Promise<SettlementRunSummary> {
    const claimed = await this.o.store.claimDue(this.o.batchSize ?? 50, this.o.leaseMs ?? 60_000, this.o.owner);
    const summary: SettlementRunSummary = { claimed: claimed.length, succeeded: 0, retrying: 0, failed: 0, waiting: 0 };
    // Settlements are independent provider calls: run the batch concurrently (their commits then group).
    await Promise.all(
      claimed.map(async (s) => {
        try {
          summary[await this.settle(s)]++;
        } catch (err) {
          // One settlement failing to record must not hold the rest; its lease is released for a retry.
          this.o.log?.('settlement could not be processed', { settlement_id: s.id, escrow_id: s.escrowId, err });
          await this.o.store.release(s.id, this.o.owner?.instanceId).catch(() => undefined);
        }
      }),
    );
    return summary;
  }

  private async settle(s: ClaimedSettlement): Promise<keyof Omit<SettlementRunSummary, 'claimed'>> {
    const rail = this.o.rails.get(s.rail);
    const holder = this.o.owner?.instanceId;
    if (rail?.needsPayoutAccount && s.kind === 'PAYOUT' && !s.destination) {
      // Never a failure, never lost: parked, visible to operators, woken when the marketplace registers the account.
      const note =
        `WAITING_FOR_PAYOUT_ACCOUNT: seller ${s.beneficiaryId} has no ${s.rail} payout account; register it with ` +
        `PUT /api/sellers/${s.beneficiaryId}/payout-accounts/${s.rail}`;
      await this.o.store.wait(s.id, 'PAYOUT_ACCOUNT', note, this.o.accountRecheckMs ?? 3_600_000, holder);
      this.o.log?.('payout waits for a payout account', { settlement_id: s.id, escrow_id: s.escrowId });
      return 'waiting';
    }
    const earlier = rail && s.round > 0 ? await this.earlierRound(rail, s) : null;
    const outcome = earlier
      ? earlier
      : rail
        ? await rail.executeSettlement(this.orderOf(s, settlementKey(s.id, s.round))).catch((err: unknown) => ({
            status: 'FAILED' as const,
            reason: err instanceof Error ? err.message : String(err),
            retryable: (err as { retryable?: unknown }).retryable !== false,
          }))
        : { status: 'FAILED' as const, reason: `rail ${s.rail} is not enabled`, retryable: true };

    if (outcome.status === 'SUCCEEDED') {
      await this.record(s, { outcome: 'SUCCEEDED', providerReference: outcome.providerReference });
      return 'succeeded';
    }
    if (outcome.status === 'SUBMITTED') {
      const note = `submitted to ${s.rail} as ${outcome.providerReference}; waiting for the provider's final word`;
      await this.o.store.wait(s.id, 'PROVIDER', note, this.o.recheckMs ?? 60_000, holder, outcome.providerReference);
      return 'waiting';
    }
    this.o.log?.('settlement attempt failed', {
      settlement_id: s.id,
      escrow_id: s.escrowId,
      attempt: s.attempts,
      reason: outcome.reason,
    });
    await this.o.store.scheduleRetry(s.id, outcome.reason, this.o.retryDelayMs, holder);
    if (!outcome.retryable || s.failures + 1 >= this.o.maxRetries) {
      await this.record(s, { outcome: 'FAILED', reason: outcome.reason });
      return 'failed';
    }
    return 'retrying';
  }

  /**
   * Before an admin retry's new round sends anything, the earlier rounds are looked up at the provider: a round whose
   * answer was lost may have moved the money (or still be moving it), and a provider that deduplicates only on the
   * reference (Paystack, the custodian) would take the new round's reference as a new transfer. A provider that
   * cannot answer is a retryable failure, never a reason to send again.
   */
  private async earlierRound(rail: PaymentRail, s: ClaimedSettlement): Promise<SettlementOutcome | null> {
    for (let round = 0; round < s.round; round++) {
      const order = this.orderOf(s, settlementKey(s.id, round));
      const seen = await rail.lookupSettlement(order).catch((err: unknown) => ({
        status: 'error' as const,
        reason: err instanceof Error ? err.message : String(err),
      }));
      if (seen.status === 'succeeded') return { status: 'SUCCEEDED', providerReference: seen.providerReference };
      if (seen.status === 'pending') return { status: 'SUBMITTED', providerReference: order.idempotencyKey };
      if (seen.status === 'error') {
        return { status: 'FAILED', reason: `could not check round ${round} first: ${seen.reason}`, retryable: true };
      }
    }
    return null;
  }

  private orderOf(s: ClaimedSettlement, idempotencyKey: string): SettlementOrder {
    return {
      settlementId: s.id,
      escrowId: s.escrowId,
      kind: s.kind,
      amount: s.amount,
      currency: s.currency,
      beneficiaryId: s.beneficiaryId,
      paymentReference: s.paymentReference,
      fundingTransactionId: s.fundingTransactionId,
      destination: s.destination,
      attempt: s.attempts,
      idempotencyKey,
    };
  }

  private async record(
    s: ClaimedSettlement,
    result: { outcome: 'SUCCEEDED'; providerReference: string } | { outcome: 'FAILED'; reason: string },
  ): Promise<void> {
    // One command id per attempt: a crash and re-run of this attempt is a duplicate, a later attempt is not.
    try {
      await this.o.handler.handle(
        systemEnvelope({
          key: `settlement:${s.id}:attempt:${s.attempts}:${result.outcome}`,
          type: 'RecordSettlementResult',
          escrowId: s.escrowId,
          actorId: 'worker:settlements',
          correlationId: `settlement:${s.id}`,
          payload: { settlementId: s.id, ...result },
          now: this.o.clock.now(),
        }),
      );
    } catch (err) {
      // The command's own transaction clears the lease when it commits; only a failure must give it back here.
      await this.o.store.release(s.id, this.o.owner?.instanceId);
      throw err;
    }
  }
}
