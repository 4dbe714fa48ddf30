import type { Actor } from '../../domain/index.js';
import type { StoredSecret, VaultSecretStore } from '../../app/ports/index.js';
import type { Database } from './database.js';

interface Row {
  fingerprint: string;
  escrow_id: string;
  key_id: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

const COLUMNS = 'fingerprint, escrow_id, key_id, iv, ciphertext, tag';
const secretOf = (r: Row): StoredSecret => ({
  fingerprint: r.fingerprint,
  escrowId: r.escrow_id,
  sealed: { keyId: r.key_id, iv: r.iv, ciphertext: r.ciphertext, tag: r.tag },
});

/** vault_secrets (migration 013) over PostgreSQL or PGlite. */
export class SqlVaultSecretStore implements VaultSecretStore {
  constructor(private readonly db: Database) {}

  async put(s: StoredSecret, at: string): Promise<void> {
    await this.db.query(
      `INSERT INTO vault_secrets (${COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (fingerprint) DO NOTHING`,
      [s.fingerprint, s.escrowId, s.sealed.keyId, s.sealed.iv, s.sealed.ciphertext, s.sealed.tag, at],
    );
  }

  async get(escrowId: string, fingerprint: string): Promise<StoredSecret | null> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM vault_secrets WHERE fingerprint = $1 AND escrow_id = $2`,
      [fingerprint, escrowId],
    );
    return rows[0] ? secretOf(rows[0]) : null;
  }

  async keyUsage() {
    const { rows } = await this.db.query<Row & { secrets: string }>(
      `SELECT DISTINCT ON (key_id) ${COLUMNS}, count(*) OVER (PARTITION BY key_id) AS secrets
         FROM vault_secrets ORDER BY key_id, created_at`,
    );
    return rows.map((r) => ({ keyId: r.key_id, secrets: Number(r.secrets), sample: secretOf(r) }));
  }

  async sealedUnder(notKeyId: string, limit: number): Promise<StoredSecret[]> {
    const { rows } = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM vault_secrets WHERE key_id <> $1 ORDER BY created_at, fingerprint LIMIT $2`,
      [notKeyId, limit],
    );
    return rows.map(secretOf);
  }

  reseal(s: StoredSecret, fromKeyId: string, audit: { actor: Actor; reason: string; at: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query(
        `UPDATE vault_secrets SET key_id = $3, iv = $4, ciphertext = $5, tag = $6, rotated_at = $7
          WHERE fingerprint = $1 AND key_id = $2 RETURNING fingerprint`,
        [s.fingerprint, fromKeyId, s.sealed.keyId, s.sealed.iv, s.sealed.ciphertext, s.sealed.tag, audit.at],
      );
      if (rows.length === 0) return false;
      await tx.query(
        `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
         VALUES ($1, $2, $3, 'VaultKeyRotated', $4::jsonb, $5)`,
        [
          s.escrowId,
          audit.actor.id,
          audit.actor.role,
          JSON.stringify({ reason: audit.reason, fingerprint: s.fingerprint, fromKeyId, toKeyId: s.sealed.keyId }),
          audit.at,
        ],
      );
      return true;
    });
  }
}
