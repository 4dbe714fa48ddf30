import type { Actor } from '../../domain/index.js';
import {
  ORPHAN_SECRET_MAX_AGE_MS,
  type ReplayedReveal,
  type StoredSecret,
  type VaultSecretStore,
} from '../../app/ports/index.js';
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

/** Rows no escrow's vault cites (escrow_commit of migration 015 deletes a secret when its vault replaces it). */
const UNCITED = `NOT EXISTS (SELECT 1 FROM escrow_vaults v WHERE v.escrow_id = s.escrow_id AND v.fingerprint = s.fingerprint)`;

/** vault_secrets (migration 013) over PostgreSQL or PGlite. */
export class SqlVaultSecretStore implements VaultSecretStore {
  constructor(private readonly db: Database) {}

  async put(s: StoredSecret, at: string): Promise<void> {
    const before = new Date(Date.parse(at) - ORPHAN_SECRET_MAX_AGE_MS).toISOString();
    // one statement: this escrow's old orphans go as its new secret comes in (never the one being put)
    await this.db.query(
      `WITH orphans AS (
         DELETE FROM vault_secrets s WHERE s.escrow_id = $2 AND s.created_at < $8 AND s.fingerprint <> $1 AND ${UNCITED})
       INSERT INTO vault_secrets (${COLUMNS}, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (fingerprint) DO NOTHING`,
      [s.fingerprint, s.escrowId, s.sealed.keyId, s.sealed.iv, s.sealed.ciphertext, s.sealed.tag, at, before],
    );
  }

  async discard(escrowId: string, fingerprint: string): Promise<void> {
    await this.db.query(`DELETE FROM vault_secrets s WHERE s.escrow_id = $1 AND s.fingerprint = $2 AND ${UNCITED}`, [
      escrowId,
      fingerprint,
    ]);
  }

  async sweepOrphans(before: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM vault_secrets s WHERE s.created_at < $1 AND ${UNCITED} RETURNING 1)
       SELECT count(*)::int AS n FROM gone`,
      [before],
    );
    return rows[0]?.n ?? 0;
  }

  async recordReplayedReveal(r: ReplayedReveal): Promise<void> {
    const details = {
      replayOf: r.commandId,
      fingerprint: r.fingerprint,
      revealCount: r.revealCount,
      correlationId: r.correlationId,
    };
    await this.db.query(
      `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, command_id, from_status, to_status, details,
                               created_at)
       VALUES ($1, $2, $3, 'VaultRevealReplayed', $4, $5, NULL, $6::jsonb, $7)`,
      [r.escrowId, r.actor.id, r.actor.role, r.commandId, r.status, JSON.stringify(details), r.at],
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
