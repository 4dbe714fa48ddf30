import type { Rail, SettlementKind } from '../../domain/index.js';

export interface ClaimedSettlement {
  id: string;
  escrowId: string;
  rail: Rail;
  kind: SettlementKind;
  amount: bigint;
  currency: string;
  beneficiaryId: string;
  paymentReference: string;
  /** Attempts so far including this one (never reset) and failures since the last admin retry. */
  attempts: number;
  failures: number;
}

/** Who takes a lease: this process's instance id, and how long a holder may go unseen before it counts as gone. */
export interface LeaseOwner {
  instanceId: string;
  staleMs: number;
}

export interface SettlementStore {
  /**
   * Leases due PENDING settlements (FOR UPDATE SKIP LOCKED), counting the attempt: those never leased, whose lease ran
   * out, or — with `owner` — whose lease holder's heartbeat stopped (a crashed process), recording `owner` as holder.
   */
  claimDue(limit: number, leaseMs: number, owner?: LeaseOwner): Promise<ClaimedSettlement[]>;
  /**
   * Records a failed attempt and schedules the next one after `delayMs × 2^(failures-1)`. With `holder`, only while
   * it still holds the lease: one whose lease was taken over (its heartbeat went stale) leaves the new holder's alone.
   */
  scheduleRetry(id: string, error: string, baseDelayMs: number, holder?: string): Promise<void>;
  /** Releases the lease without counting a failure (the result was recorded by a command); `holder` as above. */
  release(id: string, holder?: string): Promise<void>;
  findEscrowOf(settlementId: string): Promise<string | null>;
}
