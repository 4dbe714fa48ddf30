import type {
  PayoutAccount,
  PayoutAccountChange,
  PayoutAccountStore,
  WaitingSettlement,
} from '../../app/ports/index.js';
import type { Rail } from '../../domain/index.js';
import type { Database } from './database.js';

const ACCOUNT = `seller_id AS "sellerId", rail, account_id AS "accountId", detail, registered_by AS "registeredBy",
  iso(created_at) AS "createdAt", iso(updated_at) AS "updatedAt"`;

/** Sellers' payout accounts (payout_accounts, migration 012); each change audited in its own transaction. */
export class SqlPayoutAccountStore implements PayoutAccountStore {
  constructor(private readonly db: Database) {}

  put(c: PayoutAccountChange) {
    return this.db.transaction(async (tx) => {
      const before = await tx.query<{ account_id: string }>(
        'SELECT account_id FROM payout_accounts WHERE seller_id = $1 AND rail = $2 FOR UPDATE',
        [c.sellerId, c.rail],
      );
      const previousAccountId = before.rows[0]?.account_id ?? null;
      const { rows } = await tx.query<PayoutAccount>(
        `INSERT INTO payout_accounts (seller_id, rail, account_id, detail, registered_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (seller_id, rail) DO UPDATE SET account_id = excluded.account_id, detail = excluded.detail,
           registered_by = excluded.registered_by, updated_at = excluded.updated_at
         RETURNING ${ACCOUNT}`,
        [c.sellerId, c.rail, c.accountId, c.detail, c.actor.id, c.at],
      );
      await tx.query(
        `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
         VALUES (NULL, $1, $2, 'payout_account.put', $3::jsonb, $4)`,
        [
          c.actor.id,
          c.actor.role,
          JSON.stringify({
            reason: c.reason,
            sellerId: c.sellerId,
            rail: c.rail,
            accountId: c.accountId,
            previousAccountId,
          }),
          c.at,
        ],
      );
      return { account: rows[0]!, previousAccountId };
    });
  }

  async get(sellerId: string, rail: Rail) {
    const { rows } = await this.db.query<PayoutAccount>(
      `SELECT ${ACCOUNT} FROM payout_accounts WHERE seller_id = $1 AND rail = $2`,
      [sellerId, rail],
    );
    return rows[0] ?? null;
  }

  async list(sellerId: string) {
    const { rows } = await this.db.query<PayoutAccount>(
      `SELECT ${ACCOUNT} FROM payout_accounts WHERE seller_id = $1 ORDER BY rail`,
      [sellerId],
    );
    return rows;
  }

  async waitingSettlements(limit: number, waitingFor?: 'PAYOUT_ACCOUNT' | 'PROVIDER') {
    const { rows } = await this.db.query<WaitingSettlement>(
      `SELECT s.id AS "settlementId", s.escrow_id AS "escrowId", e.rail, s.kind, s.amount::text AS amount, s.currency,
              s.beneficiary_id AS "beneficiaryId", s.waiting_for AS "waitingFor", s.last_error AS note,
              s.submitted_reference AS "submittedReference", iso(s.created_at) AS "createdAt",
              iso(s.next_attempt_at) AS "nextCheckAt"
         FROM settlements s JOIN escrows e ON e.id = s.escrow_id
        WHERE s.status = 'PENDING' AND s.waiting_for IS NOT NULL AND ($2::text IS NULL OR s.waiting_for = $2)
        ORDER BY s.created_at, s.id LIMIT $1`,
      [limit, waitingFor ?? null],
    );
    return rows;
  }
}
