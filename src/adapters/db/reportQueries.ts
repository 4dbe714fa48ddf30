import type {
  DisputeRow,
  FeeRow,
  OffenderRow,
  ReportBucket,
  ReportQueries,
  ReportWindow,
  VolumeRow,
} from '../../app/ports/reportQueries.js';
import type { Database } from './database.js';

// $1 since, $2 until, $3 currency or null; buckets are UTC.
const PERIOD = (column: string) =>
  `to_char(date_trunc($4::text, ${column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
const IN_WINDOW = (column: string, currency: string) =>
  `${column} >= $1 AND ${column} <= $2 AND ($3::text IS NULL OR ${currency} = $3::text)`;

// released and refunded: escrow-wide outcomes and milestones' alike; the amounts are what went to each side (the
// seller's share of a partial refund or a split ruling is released money, the buyer's share refunded money)
const SETTLED = `('EscrowReleased', 'EscrowRefunded', 'MilestoneReleased', 'MilestoneRefunded')`;
const VOLUME = `
SELECT ${PERIOD('ev.occurred_at')} AS period, e.currency,
       count(*) FILTER (WHERE ev.type = 'EscrowCreated')::int AS created,
       count(*) FILTER (WHERE ev.type = 'EscrowFundsHeld')::int AS funded,
       count(*) FILTER (WHERE ev.type IN ('EscrowReleased', 'MilestoneReleased'))::int AS released,
       count(*) FILTER (WHERE ev.type IN ('EscrowRefunded', 'MilestoneRefunded'))::int AS refunded,
       count(*) FILTER (WHERE ev.type = 'DisputeOpened')::int AS disputed,
       coalesce(sum((ev.data->>'amount')::bigint) FILTER (WHERE ev.type = 'EscrowFundsHeld'), 0)::text AS funded_amount,
       coalesce(sum((ev.data->>'sellerAmount')::bigint) FILTER (WHERE ev.type IN ${SETTLED}), 0)::text
         AS released_amount,
       coalesce(sum((ev.data->>'buyerAmount')::bigint) FILTER (WHERE ev.type IN ${SETTLED}), 0)::text
         AS refunded_amount
  FROM escrow_events ev JOIN escrows e ON e.id = ev.escrow_id
 WHERE ev.type IN ('EscrowCreated', 'EscrowFundsHeld', 'DisputeOpened', ${SETTLED.slice(1, -1)})
   AND ${IN_WINDOW('ev.occurred_at', 'e.currency')}
 GROUP BY 1, 2
 ORDER BY 1, 2`;

const FEES = `
SELECT ${PERIOD('created_at')} AS period, currency, sum(amount)::text AS fees, count(*)::int AS postings
  FROM ledger_postings
 WHERE account_id = 'platform:fee_revenue' AND ${IN_WINDOW('created_at', 'currency')}
 GROUP BY 1, 2
 ORDER BY 1, 2`;

const DISPUTES = `
SELECT e.currency, d.reason, CASE WHEN d.status = 'RESOLVED' THEN d.resolution ELSE d.status END AS outcome,
       count(*)::int AS count
  FROM disputes d JOIN escrows e ON e.id = d.escrow_id
 WHERE ${IN_WINDOW('d.created_at', 'e.currency')}
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3`;

const FUNDED = `
SELECT e.currency, count(*)::int AS n
  FROM escrow_events ev JOIN escrows e ON e.id = ev.escrow_id
 WHERE ev.type = 'EscrowFundsHeld' AND ${IN_WINDOW('ev.occurred_at', 'e.currency')}
 GROUP BY 1`;

// seed 003 RB-04 "identify repeat offenders": disputes of the last 7 days per seller, and per buyer
const OFFENDERS = `
WITH d AS (
  SELECT e.seller_id, e.buyer_id, d.escrow_id, d.created_at
    FROM disputes d JOIN escrows e ON e.id = d.escrow_id
   WHERE ${IN_WINDOW('d.created_at', 'e.currency')}
), parties AS (
  SELECT 'SELLER' AS role, seller_id AS user_id, escrow_id, created_at FROM d
  UNION ALL
  SELECT 'BUYER', buyer_id, escrow_id, created_at FROM d
)
SELECT role, user_id, count(*)::int AS disputes, count(DISTINCT escrow_id)::int AS escrows,
       to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_dispute_at,
       EXISTS (SELECT 1 FROM blacklist_entries b
                WHERE b.kind = 'USER' AND b.value = user_id AND b.removed_at IS NULL
                  AND (b.expires_at IS NULL OR b.expires_at > $2)) AS blacklisted
  FROM parties
 GROUP BY role, user_id
HAVING count(*) >= $4::int
 ORDER BY disputes DESC, role DESC, user_id`;

interface VolumeSqlRow {
  period: string;
  currency: string;
  created: number;
  funded: number;
  released: number;
  refunded: number;
  disputed: number;
  funded_amount: string;
  released_amount: string;
  refunded_amount: string;
}

/** The reports' reads: one grouped statement each (admin reads, run on demand). */
export class SqlReportQueries implements ReportQueries {
  constructor(private readonly db: Database) {}

  async volume(w: ReportWindow, by: ReportBucket): Promise<VolumeRow[]> {
    const { rows } = await this.db.query<VolumeSqlRow>(VOLUME, [...params(w), by]);
    return rows.map((r) => ({
      period: r.period,
      currency: r.currency,
      created: r.created,
      funded: r.funded,
      released: r.released,
      refunded: r.refunded,
      disputed: r.disputed,
      fundedAmount: r.funded_amount,
      releasedAmount: r.released_amount,
      refundedAmount: r.refunded_amount,
    }));
  }

  async fees(w: ReportWindow, by: ReportBucket): Promise<FeeRow[]> {
    const { rows } = await this.db.query<FeeRow>(FEES, [...params(w), by]);
    return rows.map((r) => ({ period: r.period, currency: r.currency, fees: r.fees, postings: r.postings }));
  }

  async disputes(w: ReportWindow): Promise<DisputeRow[]> {
    const { rows } = await this.db.query<DisputeRow>(DISPUTES, params(w));
    return rows.map((r) => ({ currency: r.currency, reason: r.reason, outcome: r.outcome, count: r.count }));
  }

  async funded(w: ReportWindow): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ currency: string; n: number }>(FUNDED, params(w));
    return Object.fromEntries(rows.map((r) => [r.currency, r.n]));
  }

  async offenders(w: ReportWindow, min: number): Promise<OffenderRow[]> {
    const { rows } = await this.db.query<{
      role: 'SELLER' | 'BUYER';
      user_id: string;
      disputes: number;
      escrows: number;
      last_dispute_at: string;
      blacklisted: boolean;
    }>(OFFENDERS, [...params(w), min]);
    return rows.map((r) => ({
      role: r.role,
      userId: r.user_id,
      disputes: r.disputes,
      escrows: r.escrows,
      lastDisputeAt: r.last_dispute_at,
      blacklisted: r.blacklisted,
    }));
  }
}

const params = (w: ReportWindow) => [w.since.toISOString(), w.until.toISOString(), w.currency];
