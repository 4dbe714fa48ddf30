import type {
  EscrowFileRecord,
  FileActor,
  FileRecordStore,
  FileStoredChange,
  NewEscrowFile,
} from '../../app/ports/fileStore.js';
import type { Database, Queryable } from './database.js';

const FILE = `id, escrow_id AS "escrowId", purpose, file_name AS "fileName", content_type AS "contentType",
  size::int AS size, sha256, status, uploaded_by AS "uploadedBy", iso(created_at) AS "createdAt",
  iso(stored_at) AS "storedAt", storage_key AS "storageKey"`;

/** Escrows' evidence, contract and deliverable files (escrow_files, migration 013); each change audited with it. */
export class SqlFileStore implements FileRecordStore {
  constructor(private readonly db: Database) {}

  insert(f: NewEscrowFile) {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<EscrowFileRecord>(
        `INSERT INTO escrow_files (id, escrow_id, purpose, file_name, content_type, size, sha256, storage_key, status,
                                   uploaded_by, created_at, stored_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $9 = 'STORED' THEN $11::timestamptz END)
         RETURNING ${FILE}`,
        [
          f.id,
          f.escrowId,
          f.purpose,
          f.fileName,
          f.contentType,
          f.size,
          f.sha256,
          f.storageKey,
          f.status,
          f.actor.id,
          f.at,
        ],
      );
      const file = rows[0]!;
      await audit(tx, 'FileUploaded', file, f.actor, f.at);
      return file;
    });
  }

  markStored(c: FileStoredChange) {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<EscrowFileRecord>(
        `UPDATE escrow_files SET status = 'STORED', size = $3, sha256 = $4, stored_at = $5
          WHERE escrow_id = $1 AND id = $2 AND status = 'PENDING'
          RETURNING ${FILE}`,
        [c.escrowId, c.fileId, c.size, c.sha256, c.at],
      );
      const file = rows[0];
      if (file) {
        await audit(tx, 'FileStored', file, c.actor, c.at);
        return { file, changed: true };
      }
      const current = await this.get(c.escrowId, c.fileId, tx);
      return current && { file: current, changed: false };
    });
  }

  async get(escrowId: string, fileId: string, q: Queryable = this.db) {
    const { rows } = await q.query<EscrowFileRecord>(
      `SELECT ${FILE} FROM escrow_files WHERE escrow_id = $1 AND id = $2`,
      [escrowId, fileId],
    );
    return rows[0] ?? null;
  }

  async getByKey(storageKey: string) {
    const { rows } = await this.db.query<EscrowFileRecord>(`SELECT ${FILE} FROM escrow_files WHERE storage_key = $1`, [
      storageKey,
    ]);
    return rows[0] ?? null;
  }

  async getMany(escrowId: string, fileIds: readonly string[]) {
    if (fileIds.length === 0) return [];
    const { rows } = await this.db.query<EscrowFileRecord>(
      `SELECT ${FILE} FROM escrow_files WHERE escrow_id = $1 AND id = ANY($2::uuid[])`,
      [escrowId, fileIds],
    );
    return rows;
  }

  async list(escrowId: string) {
    const { rows } = await this.db.query<EscrowFileRecord>(
      `SELECT ${FILE} FROM escrow_files WHERE escrow_id = $1 ORDER BY created_at, id`,
      [escrowId],
    );
    return rows;
  }
}

/** The audit row of a file change: who, which file (name, hash, size, type) and why (its purpose). */
async function audit(
  tx: Queryable,
  action: 'FileUploaded' | 'FileStored',
  f: EscrowFileRecord,
  actor: FileActor,
  at: string,
): Promise<void> {
  const details = {
    fileId: f.id,
    fileName: f.fileName,
    sha256: f.sha256,
    size: f.size,
    contentType: f.contentType,
    purpose: f.purpose,
    status: f.status,
  };
  await tx.query(
    `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6)`,
    [f.escrowId, actor.id, actor.role, action, JSON.stringify(details), at],
  );
}
