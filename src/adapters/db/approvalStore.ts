import type {
  Approval,
  ApprovalDecision,
  ApprovalStatus,
  ApprovalStore,
  NewApproval,
} from '../../app/ports/approvalStore.js';
import type { Actor } from '../../domain/index.js';
import type { Database, Queryable } from './database.js';

/** A PENDING proposal past its expiry reads EXPIRED (`$now` is the caller's clock, the parameter numbered `now`). */
const statusAsOf = (now: number) =>
  `CASE WHEN status = 'PENDING' AND expires_at <= $${now}::timestamptz THEN 'EXPIRED' ELSE status END`;

const columns = (status: string) => `id, escrow_id AS "escrowId", command_type AS "commandType", payload,
  amount::text AS amount, currency, proposed_by AS "proposedBy", proposed_role AS "proposedRole", reason,
  ${status} AS status, decided_by AS "decidedBy", decided_reason AS "decidedReason", iso(decided_at) AS "decidedAt",
  iso(expires_at) AS "expiresAt", command_id AS "commandId", result, iso(created_at) AS "createdAt",
  iso(updated_at) AS "updatedAt"`;

const AUDIT = `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6)`;

/**
 * Dual control's proposals (admin_approvals, migration 018): each proposal and each decision with its audit row in
 * one transaction. A decision is an UPDATE guarded by `status = 'PENDING'`, so of two admins deciding at once one
 * decides and the other learns it was decided; rows are never deleted.
 */
export class SqlApprovalStore implements ApprovalStore {
  constructor(private readonly db: Database) {}

  propose(a: NewApproval): Promise<{ approval: Approval; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Approval>(
        `INSERT INTO admin_approvals (id, escrow_id, command_type, payload, amount, currency, proposed_by,
           proposed_role, reason, expires_at, command_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4::jsonb, $5::bigint, $6, $7, $8, $9, $10, $11, $12, $12)
         ON CONFLICT (id) DO NOTHING
         RETURNING ${columns('status')}`,
        [
          a.id,
          a.escrowId,
          a.commandType,
          JSON.stringify(a.payload),
          a.amount,
          a.currency,
          a.proposedBy,
          a.proposedRole,
          a.reason,
          a.expiresAt,
          a.commandId,
          a.createdAt,
        ],
      );
      const created = rows[0];
      if (!created) {
        const { rows: existing } = await tx.query<Approval>(
          `SELECT ${columns(statusAsOf(2))} FROM admin_approvals WHERE id = $1`,
          [a.id, a.createdAt],
        );
        return { approval: existing[0]!, created: false };
      }
      await audit(tx, created, { id: a.proposedBy, role: a.proposedRole }, 'approval.proposed', a.createdAt, {});
      return { approval: created, created: true };
    });
  }

  async get(id: string, now: string): Promise<Approval | null> {
    const { rows } = await this.db.query<Approval>(
      `SELECT ${columns(statusAsOf(2))} FROM admin_approvals WHERE id = $1`,
      [id, now],
    );
    return rows[0] ?? null;
  }

  async list(filter: { status?: ApprovalStatus; limit: number; now: string }): Promise<Approval[]> {
    const { rows } = await this.db.query<Approval>(
      `SELECT ${columns(statusAsOf(1))} FROM admin_approvals
        WHERE $2::text IS NULL OR ${statusAsOf(1)} = $2::text
        ORDER BY created_at DESC, id DESC LIMIT $3`,
      [filter.now, filter.status ?? null, filter.limit],
    );
    return rows;
  }

  async claim(id: string, actor: Actor, at: string): Promise<Approval | null> {
    const { rows } = await this.db.query<Approval>(
      `UPDATE admin_approvals SET status = 'APPROVING', decided_by = $2, updated_at = $3
        WHERE id = $1 AND status = 'PENDING' AND expires_at > $3::timestamptz
        RETURNING ${columns('status')}`,
      [id, actor.id, at],
    );
    return rows[0] ?? null;
  }

  async unclaim(id: string, at: string): Promise<void> {
    await this.db.query(
      `UPDATE admin_approvals SET status = 'PENDING', decided_by = NULL, updated_at = $2
        WHERE id = $1 AND status = 'APPROVING'`,
      [id, at],
    );
  }

  decide(d: ApprovalDecision): Promise<Approval | null> {
    const from = d.status === 'APPROVED' || d.status === 'FAILED' ? ['PENDING', 'APPROVING'] : ['PENDING'];
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Approval>(
        `UPDATE admin_approvals
            SET status = $2, decided_by = $3, decided_reason = $4, decided_at = $5, updated_at = $5, result = $6::jsonb
          WHERE id = $1 AND status = ANY($7::text[])
          RETURNING ${columns('status')}`,
        [d.id, d.status, d.actor.id, d.reason, d.at, d.result === null ? null : JSON.stringify(d.result), from],
      );
      const approval = rows[0];
      if (!approval) return null;
      await audit(tx, approval, d.actor, `approval.${d.status.toLowerCase()}`, d.at, d.details ?? {});
      return approval;
    });
  }
}

/** The audit row of a proposal or a decision: the escrow, who, what, why — proposer and decider both named. */
async function audit(
  tx: Queryable,
  a: Approval,
  actor: { id: string; role: string },
  action: string,
  at: string,
  extra: Record<string, unknown>,
): Promise<void> {
  const details = {
    approvalId: a.id,
    commandType: a.commandType,
    commandId: a.commandId,
    payload: a.payload,
    amount: a.amount,
    currency: a.currency,
    proposedBy: a.proposedBy,
    reason: a.reason,
    expiresAt: a.expiresAt,
    ...(a.decidedBy ? { decidedBy: a.decidedBy, decidedReason: a.decidedReason, result: a.result } : {}),
    ...extra,
  };
  await tx.query(AUDIT, [a.escrowId, actor.id, actor.role, action, JSON.stringify(details), at]);
}
