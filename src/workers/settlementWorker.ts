import type { CommandHandler } from '../app/commandHandler.js';
import { systemEnvelope } from '../app/envelope.js';
import type { Clock, PaymentRail } from '../app/ports/index.js';
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
  /** This process as a lease holder: a lease held by a process whose heartbeat stopped is taken over at once. */
  owner?: LeaseOwner;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export interface SettlementRunSummary {
  claimed: number;
  succeeded: number;
  retrying: number;
  failed: number;
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
    const summary: SettlementRunSummary = { claimed: claimed.length, succeeded: 0, retrying: 0, failed: 0 };
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

  private async settle(s: ClaimedSettlement): Promise<'succeeded' | 'retrying' | 'failed'> {
    const rail = this.o.rails.get(s.rail);
    const outcome = rail
      ? await rail
          .executeSettlement({
            settlementId: s.id,
            escrowId: s.escrowId,
            kind: s.kind,
            amount: s.amount,
            currency: s.currency,
            beneficiaryId: s.beneficiaryId,
            paymentReference: s.paymentReference,
            attempt: s.attempts,
            idempotencyKey: s.id,
          })
          .catch((err: unknown) => ({
            status: 'FAILED' as const,
            reason: err instanceof Error ? err.message : String(err),
            retryable: true,
          }))
      : { status: 'FAILED' as const, reason: `rail ${s.rail} is not enabled`, retryable: true };

    if (outcome.status === 'SUCCEEDED') {
      await this.record(s, { outcome: 'SUCCEEDED', providerReference: outcome.providerReference });
      return 'succeeded';
    }
    this.o.log?.('settlement attempt failed', {
      settlement_id: s.id,
      escrow_id: s.escrowId,
      attempt: s.attempts,
      reason: outcome.reason,
    });
    await this.o.store.scheduleRetry(s.id, outcome.reason, this.o.retryDelayMs, this.o.owner?.instanceId);
    if (!outcome.retryable || s.failures + 1 >= this.o.maxRetries) {
      await this.record(s, { outcome: 'FAILED', reason: outcome.reason });
      return 'failed';
    }
    return 'retrying';
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
