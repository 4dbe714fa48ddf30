import {
  settlementKey,
  type EscrowAtProvider,
  type RailLedgerTotals,
  type ReconciliationStore,
  type SettlementAtProvider,
} from '../../app/ports/index.js';
import type { Rail, SettlementKind } from '../../domain/index.js';
import type { Database } from './database.js';
import { PROVIDER_FUNDING } from './settlementStore.js';

const ESCROW = `e.id AS "escrowId", e.rail, e.status, e.payment_reference AS reference,
  e.funding_transaction_id AS "fundingTransactionId", iso(e.created_at) AS "createdAt"`;

interface SettlementRow {
  id: string;
  escrow_id: string;
  rail: Rail;
  status: SettlementAtProvider['status'];
  kind: SettlementKind;
  amount: string;
  currency: string;
  beneficiary_id: string;
  payment_reference: string;
  funding_transaction_id: string | null;
  destination: string | null;
  attempts: number;
  round: number;
  created_at: string;
}

const SETTLEMENT = `s.id, s.escrow_id, e.rail, s.status, s.kind, s.amount::text AS amount, s.currency, s.beneficiary_id,
  e.payment_reference, s.attempts, s.round, iso(s.created_at) AS created_at,
  coalesce((SELECT x.transaction_id FROM suspense_items x WHERE x.settlement_id = s.id), ${PROVIDER_FUNDING})
    AS funding_transaction_id,
  CASE WHEN s.kind = 'PAYOUT' THEN (SELECT p.account_id FROM payout_accounts p
    WHERE p.seller_id = s.beneficiary_id AND p.rail = e.rail) END AS destination`;

const toSettlement = (r: SettlementRow): SettlementAtProvider => ({
  rail: r.rail,
  status: r.status,
  createdAt: r.created_at,
  order: {
    settlementId: r.id,
    escrowId: r.escrow_id,
    kind: r.kind,
    amount: BigInt(r.amount),
    currency: r.currency,
    beneficiaryId: r.beneficiary_id,
    paymentReference: r.payment_reference,
    fundingTransactionId: r.funding_transaction_id,
    destination: r.destination,
    attempt: r.attempts,
    idempotencyKey: settlementKey(r.id, r.round),
  },
});

/** The reconciler's reads (read-only): what to ask the providers about, and the ledger's totals per rail. */
export class SqlReconciliationStore implements ReconciliationStore {
  constructor(private readonly db: Database) {}

  async awaitingFunds(before: string, limit: number) {
    const { rows } = await this.db.query<EscrowAtProvider>(
      `SELECT ${ESCROW} FROM escrows e WHERE e.status = 'AWAIT_FUNDS' AND e.created_at < $1
        ORDER BY e.created_at LIMIT $2`,
      [before, limit],
    );
    return rows;
  }

  async fundedSince(since: string, limit: number) {
    const { rows } = await this.db.query<EscrowAtProvider>(
      `SELECT ${ESCROW} FROM escrows e
        WHERE e.funding_transaction_id IS NOT NULL AND e.updated_at >= $1 AND e.status <> 'AWAIT_FUNDS'
        ORDER BY e.updated_at DESC LIMIT $2`,
      [since, limit],
    );
    return rows;
  }

  async pendingSettlements(before: string, limit: number) {
    const { rows } = await this.db.query<SettlementRow>(
      `SELECT ${SETTLEMENT} FROM settlements s JOIN escrows e ON e.id = s.escrow_id
        WHERE s.status = 'PENDING' AND s.created_at < $1
          AND (s.attempts > 0 OR s.waiting_for = 'PROVIDER') AND s.waiting_for IS DISTINCT FROM 'PAYOUT_ACCOUNT'
        ORDER BY s.created_at LIMIT $2`,
      [before, limit],
    );
    return rows.map(toSettlement);
  }

  async succeededSince(since: string, limit: number) {
    const { rows } = await this.db.query<SettlementRow>(
      `SELECT ${SETTLEMENT} FROM settlements s JOIN escrows e ON e.id = s.escrow_id
        WHERE s.status = 'SUCCEEDED' AND s.completed_at >= $1 ORDER BY s.completed_at DESC LIMIT $2`,
      [since, limit],
    );
    return rows.map(toSettlement);
  }

  async ledgerTotals() {
    const { rows } = await this.db.query<{ rail: Rail; currency: string; owed: string; fee_revenue: string }>(
      `WITH postings AS (
         SELECT e.rail, p.currency,
                sum(p.amount) FILTER (WHERE p.account_id LIKE 'escrow:%') AS owed,
                sum(p.amount) FILTER (WHERE p.account_id = 'platform:fee_revenue') AS fees
           FROM ledger_postings p JOIN escrows e ON e.id = p.escrow_id GROUP BY e.rail, p.currency),
       suspense AS (
         SELECT e.rail, x.currency, sum(x.amount) AS open
           FROM suspense_items x JOIN escrows e ON e.id = x.escrow_id WHERE x.status = 'OPEN'
          GROUP BY e.rail, x.currency)
       SELECT coalesce(p.rail, s.rail) AS rail, coalesce(p.currency, s.currency) AS currency,
              (coalesce(p.owed, 0) + coalesce(s.open, 0))::text AS owed, coalesce(p.fees, 0)::text AS fee_revenue
         FROM postings p FULL JOIN suspense s ON s.rail = p.rail AND s.currency = p.currency
        ORDER BY 1, 2`,
    );
    return rows.map((r): RailLedgerTotals => ({
      rail: r.rail,
      currency: r.currency,
      owed: BigInt(r.owed),
      feeRevenue: BigInt(r.fee_revenue),
    }));
  }
}
