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
  /** The provider's id of the money being moved: the suspense item's transaction for its refund, else the funding one. */
  fundingTransactionId: string | null;
  /** The seller's payout account on the escrow's rail (PAYOUT only; null when none is registered). */
  destination: string | null;
  /** Attempts so far including this one (never reset) and failures since the last admin retry. */
  attempts: number;
  failures: number;
  /** Admin retries so far: the round's idempotency key is `<id>-r<round>` after the first. */
  round: number;
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
  /**
   * Parks a settlement without counting a failure: PAYOUT_ACCOUNT until the seller's account is registered (which
   * wakes it, `wakeWaitingFor`), PROVIDER until `recheckMs` from now (the provider accepted it; its final word comes by
   * webhook or the next look). `note` is what operators read.
   */
  wait(
    id: string,
    waitingFor: 'PAYOUT_ACCOUNT' | 'PROVIDER',
    note: string,
    recheckMs: number,
    holder?: string,
    submittedReference?: string,
  ): Promise<void>;
  /** A seller's payout account was registered on `rail`: their payouts waiting for one are due now. Returns how many. */
  wakeWaitingFor(sellerId: string, rail: string): Promise<number>;
  /** Releases the lease without counting a failure (the result was recorded by a command); `holder` as above. */
  release(id: string, holder?: string): Promise<void>;
  findEscrowOf(settlementId: string): Promise<string | null>;
  /** The settlement's current round (admin retries so far), null when there is no such settlement. */
  roundOf(settlementId: string): Promise<number | null>;
}
