import type { DisputeFilter, DisputeQueries, DisputeSummary } from '../../app/ports/disputeQueries.js';
import type { Database } from './database.js';

/**
 * The open disputes with their deadlines judged at $1 (one definition for the list and the counts). `responded`: a
 * submission by someone other than the opener. Rows from before migration 013 without deadlines get the defaults
 * that migration applied (3 and 7 days). RESPONSE is overdue once respond_by has passed unanswered, SLA once
 * sla_due_at has passed; the next deadline is the earliest of those still running (respond_by only while
 * unanswered), the SLA alone once answered.
 */
const JUDGED = `
  WITH open AS (
    SELECT d.*,
           COALESCE(d.respond_by, d.created_at + interval '3 days') AS respond_due,
           COALESCE(d.sla_due_at, d.created_at + interval '7 days') AS sla_due,
           EXISTS (SELECT 1 FROM jsonb_array_elements(d.submissions) s WHERE s ->> 'by' IS DISTINCT FROM d.opened_by)
             AS responded
    FROM disputes d
    WHERE d.status <> 'RESOLVED'
  ), judged AS (
    SELECT o.*,
           (NOT o.responded AND o.respond_due < $1::timestamptz) AS late_response,
           (o.sla_due < $1::timestamptz) AS late_sla,
           CASE WHEN o.responded THEN o.sla_due ELSE LEAST(o.respond_due, o.sla_due) END AS next_deadline
    FROM open o
  )`;

const OPEN_DISPUTES = `${JUDGED}
  SELECT id AS "disputeId", escrow_id AS "escrowId", milestone_id AS "milestoneId", opened_by AS "openedBy", reason,
         status, reviewer_id AS "reviewerId", iso(created_at) AS "createdAt", iso(respond_due) AS "respondBy",
         responded, iso(sla_due) AS "slaDueAt", late_response, late_sla, iso(next_deadline) AS "nextDeadline"
  FROM judged
  WHERE NOT $2::boolean OR late_response OR late_sla
  ORDER BY next_deadline, created_at, id
  LIMIT $3`;

const OVERDUE_COUNTS = `${JUDGED}
  SELECT (count(*) FILTER (WHERE late_response))::int AS response, (count(*) FILTER (WHERE late_sla))::int AS sla
  FROM judged`;

type Row = Omit<DisputeSummary, 'overdue'> & { late_response: boolean; late_sla: boolean };

/** The admins' dispute queue (GET /api/admin/disputes, `escrow disputes`) and its overdue counts (/metrics). */
export class SqlDisputeQueries implements DisputeQueries {
  constructor(private readonly db: Database) {}

  async openDisputes(filter: DisputeFilter): Promise<DisputeSummary[]> {
    const { rows } = await this.db.query<Row>(OPEN_DISPUTES, [
      filter.now.toISOString(),
      filter.overdue === true,
      filter.limit,
    ]);
    return rows.map(({ late_response, late_sla, ...d }) => ({
      ...d,
      overdue: [...(late_response ? ['RESPONSE' as const] : []), ...(late_sla ? ['SLA' as const] : [])],
    }));
  }

  async overdueCounts(now: Date): Promise<{ response: number; sla: number }> {
    const { rows } = await this.db.query<{ response: number; sla: number }>(OVERDUE_COUNTS, [now.toISOString()]);
    return { response: rows[0]?.response ?? 0, sla: rows[0]?.sla ?? 0 };
  }
}
