import type {
  NewTokenRevocation,
  RevocationEntry,
  TokenRevocation,
  TokenRevocationStore,
} from '../../app/ports/tokenRevocationStore.js';
import type { Database } from './database.js';

const REVOCATION = `id, kind, value, reason, revoked_by AS "revokedBy", revoked_role AS "revokedRole",
  iso(revoked_at) AS "revokedAt"`;

/** NOTIFY on this channel in the revocation's transaction: delivered at commit, to every process that LISTENs. */
export const TOKEN_REVOCATIONS_CHANNEL = 'escrow_token_revocations';

/**
 * Revoked API tokens (token_revocations, migration 017): each revocation with its audit row and its NOTIFY in one
 * transaction; rows are never deleted. A token id revoked twice (two admins at once) makes one row: ON CONFLICT
 * keeps the first.
 */
export class SqlTokenRevocationStore implements TokenRevocationStore {
  constructor(private readonly db: Database) {}

  revoke(r: NewTokenRevocation): Promise<{ created: boolean; revocation: TokenRevocation }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<TokenRevocation>(
        `INSERT INTO token_revocations (id, kind, value, reason, revoked_by, revoked_role, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (value) WHERE kind = 'jti' DO NOTHING
         RETURNING ${REVOCATION}`,
        [r.id, r.kind, r.value, r.reason, r.actor.id, r.actor.role, r.at],
      );
      const revocation = rows[0];
      if (!revocation) {
        const { rows: first } = await tx.query<TokenRevocation>(
          `SELECT ${REVOCATION} FROM token_revocations WHERE kind = 'jti' AND value = $1`,
          [r.value],
        );
        return { created: false, revocation: first[0]! };
      }
      await tx.query(
        `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
         VALUES (NULL, $1, $2, 'token.revoke', $3::jsonb, $4)`,
        [r.actor.id, r.actor.role, JSON.stringify({ reason: r.reason, revocation }), r.at],
      );
      await tx.query(`SELECT pg_notify('${TOKEN_REVOCATIONS_CHANNEL}', $1)`, [r.kind]);
      return { created: true, revocation };
    });
  }

  async findJti(jti: string): Promise<TokenRevocation | null> {
    const { rows } = await this.db.query<TokenRevocation>(
      `SELECT ${REVOCATION} FROM token_revocations WHERE kind = 'jti' AND value = $1`,
      [jti],
    );
    return rows[0] ?? null;
  }

  async inForce(jtiSince: string): Promise<RevocationEntry[]> {
    const { rows } = await this.db.query<RevocationEntry>(
      `SELECT kind, value, iso(max(revoked_at)) AS "revokedAt" FROM token_revocations
        WHERE kind = 'subject' OR revoked_at > $1::timestamptz
        GROUP BY kind, value`,
      [jtiSince],
    );
    return rows;
  }

  async list(limit: number): Promise<TokenRevocation[]> {
    const { rows } = await this.db.query<TokenRevocation>(
      `SELECT ${REVOCATION} FROM token_revocations ORDER BY revoked_at DESC, id DESC LIMIT $1`,
      [limit],
    );
    return rows;
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.db.listen(TOKEN_REVOCATIONS_CHANNEL, () => onChange(), { onReconnect: onChange });
  }
}
