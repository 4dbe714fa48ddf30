import type { Rail, SettlementKind } from '../../domain/index.js';
import type { ClaimedSettlement, LeaseOwner, SettlementStore } from '../../app/ports/index.js';
import { MAX_BACKOFF_MS } from './backoff.js';
import type { Database } from './database.js';

/**
 * A lease whose holder stopped beating (heartbeats, migration 009) is over at once: the provider call is idempotent
 * by settlement id and the result is recorded once, so a second executor costs nothing but the wait it saves.
 * Only a holder that did beat and then stopped counts as gone: a holder with no heartbeat row at all (a process that
 * runs no heartbeat loop, or this very process) keeps its lease until it runs out, so two claimers that never beat
 * cannot take each other's work. Judged by the database's clock, as the heartbeats are written; without an owner
 * ($5 NULL) only the lease counts.
 */
const HOLDER_GONE = `($5::double precision IS NOT NULL AND t.locked_by IS NOT NULL AND t.locked_by <> $4::uuid
  AND EXISTS (SELECT 1 FROM process_heartbeats h WHERE h.instance_id = t.locked_by)
  AND NOT EXISTS (
  SELECT 1 FROM process_heartbeats h
   WHERE h.instance_id = t.locked_by AND h.last_seen > now() - make_interval(secs => $5::double precision / 1000)))`;

/**
 * The funding transaction as the provider knows it: an admin's manual confirmation names a transaction in words of
 * its own (a bank statement line), which must never reach the provider as a charge to refund or a source_transaction.
 */
export const PROVIDER_FUNDING = `CASE WHEN EXISTS (SELECT 1 FROM escrow_events ev WHERE ev.escrow_id = e.id
    AND ev.type = 'EscrowFundsHeld' AND ev.data ->> 'source' = 'MANUAL') THEN NULL ELSE e.funding_transaction_id END`;

/** Without a holder (no heartbeats) any lease; with one, only a lease it still holds (not taken over since). */
const STILL_HELD_BY = (n: number) => `($${n}::uuid IS NULL OR locked_by IS NOT DISTINCT FROM $${n}::uuid)`;

/** The settlement worker's queue: PENDING settlements claimed with a lease, retried with capped backoff. */
export class SqlSettlementStore implements SettlementStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date,
  ) {}

  async claimDue(limit: number, leaseMs: number, owner?: LeaseOwner): Promise<ClaimedSettlement[]> {
    const { rows } = await this.db.query<{
      id: string;
      escrow_id: string;
      rail: Rail;
      kind: SettlementKind;
      amount: string;
      currency: string;
      beneficiary_id: string;
      payment_reference: string;
      attempts: number;
      failures: number;
      funding_transaction_id: string | null;
      destination: string | null;
      round: number;
    }>(
      `UPDATE settlements s SET locked_until = $3::timestamptz + make_interval(secs => $2::double precision / 1000),
              attempts = s.attempts + 1, locked_by = $4::uuid, waiting_for = NULL
         FROM (SELECT id FROM settlements t
                WHERE status = 'PENDING' AND next_attempt_at <= $3
                  AND (locked_until IS NULL OR locked_until < $3 OR ${HOLDER_GONE})
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due, escrows e
        WHERE s.id = due.id AND e.id = s.escrow_id
        RETURNING s.id, s.escrow_id, e.rail, s.kind, s.amount::text AS amount, s.currency, s.beneficiary_id,
                  e.payment_reference, s.attempts, s.failures, s.round,
                  coalesce((SELECT x.transaction_id FROM suspense_items x WHERE x.settlement_id = s.id),
                           ${PROVIDER_FUNDING}) AS funding_transaction_id,
                  CASE WHEN s.kind = 'PAYOUT' THEN (SELECT p.account_id FROM payout_accounts p
                    WHERE p.seller_id = s.beneficiary_id AND p.rail = e.rail) END AS destination`,
      [limit, leaseMs, this.now().toISOString(), owner?.instanceId ?? null, owner?.staleMs ?? null],
    );
    return rows.map((r) => ({
      id: r.id,
      escrowId: r.escrow_id,
      rail: r.rail,
      kind: r.kind,
      amount: BigInt(r.amount),
      currency: r.currency,
      beneficiaryId: r.beneficiary_id,
      paymentReference: r.payment_reference,
      attempts: r.attempts,
      failures: r.failures,
      fundingTransactionId: r.funding_transaction_id,
      destination: r.destination,
      round: r.round,
    }));
  }

  async scheduleRetry(id: string, error: string, baseDelayMs: number, holder?: string) {
    await this.db.query(
      `UPDATE settlements SET failures = failures + 1, last_error = $2, locked_until = NULL, locked_by = NULL,
              next_attempt_at = $4::timestamptz
                + make_interval(secs => least($5::double precision, $3::double precision * 2 ^ failures) / 1000)
        WHERE id = $1 AND status = 'PENDING' AND ${STILL_HELD_BY(6)}`,
      [id, error.slice(0, 2000), baseDelayMs, this.now().toISOString(), MAX_BACKOFF_MS, holder ?? null],
    );
  }

  async wait(
    id: string,
    waitingFor: 'PAYOUT_ACCOUNT' | 'PROVIDER',
    note: string,
    recheckMs: number,
    holder?: string,
    submittedReference?: string,
  ) {
    await this.db.query(
      `UPDATE settlements SET waiting_for = $2, last_error = $3, locked_until = NULL, locked_by = NULL,
              next_attempt_at = $4::timestamptz + make_interval(secs => $5::double precision / 1000),
              submitted_reference = coalesce($7, submitted_reference)
        WHERE id = $1 AND status = 'PENDING' AND ${STILL_HELD_BY(6)}`,
      [
        id,
        waitingFor,
        note.slice(0, 2000),
        this.now().toISOString(),
        recheckMs,
        holder ?? null,
        submittedReference ?? null,
      ],
    );
  }

  async wakeWaitingFor(sellerId: string, rail: string) {
    const { rows } = await this.db.query(
      `UPDATE settlements s SET next_attempt_at = $3::timestamptz
         FROM escrows e
        WHERE e.id = s.escrow_id AND s.status = 'PENDING' AND s.waiting_for = 'PAYOUT_ACCOUNT'
          AND s.beneficiary_id = $1 AND e.rail = $2
        RETURNING s.id`,
      [sellerId, rail, this.now().toISOString()],
    );
    return rows.length;
  }

  async release(id: string, holder?: string) {
    await this.db.query(
      `UPDATE settlements SET locked_until = NULL, locked_by = NULL WHERE id = $1 AND ${STILL_HELD_BY(2)}`,
      [id, holder ?? null],
    );
  }

  async roundOf(settlementId: string) {
    const { rows } = await this.db.query<{ round: number }>(`SELECT round FROM settlements WHERE id = $1`, [
      settlementId,
    ]);
    return rows[0]?.round ?? null;
  }

  async findEscrowOf(settlementId: string) {
    const { rows } = await this.db.query<{ escrow_id: string }>(`SELECT escrow_id FROM settlements WHERE id = $1`, [
      settlementId,
    ]);
    return rows[0]?.escrow_id ?? null;
  }
}
