import type { Claim, IdempotencyStore, StoredResponse, TakeOver } from '../../app/ports/index.js';
import type { Database } from './database.js';

interface Row {
  request_hash: string;
  status: number | null;
  content_type: string | null;
  body: string | null;
  locked_until: Date | string | null;
  expires_at: Date | string;
  owner_instance: string | null;
}

/** Idempotency-Key responses in PostgreSQL (or PGlite): the `idempotency_keys` table (migration 005). */
export class SqlIdempotencyStore implements IdempotencyStore {
  constructor(private readonly db: Database) {}

  async claim(
    id: string,
    requestHash: string,
    now: Date,
    lockMs: number,
    ttlMs: number,
    owner?: string,
  ): Promise<Claim> {
    // Insert, or take over a record that is expired or whose in-flight request died; otherwise read what holds it.
    // Two statements on purpose: the read must see a row another transaction committed while the insert waited.
    for (let attempt = 0; attempt < 3; attempt++) {
      const { rows } = await this.db.query(
        `INSERT INTO idempotency_keys AS k (id, request_hash, locked_until, created_at, expires_at, owner_instance)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET request_hash = excluded.request_hash, status = NULL, content_type = NULL,
           body = NULL, locked_until = excluded.locked_until, created_at = excluded.created_at,
           expires_at = excluded.expires_at, owner_instance = excluded.owner_instance
         WHERE k.expires_at <= excluded.created_at
            OR (k.status IS NULL AND k.locked_until <= excluded.created_at)
         RETURNING 1`,
        [id, requestHash, new Date(now.getTime() + lockMs), now, new Date(now.getTime() + ttlMs), owner ?? null],
      );
      if (rows.length === 1) return { kind: 'claimed' };
      const held = await this.db.query<Row>(
        `SELECT request_hash, status, content_type, body, locked_until, expires_at, owner_instance
           FROM idempotency_keys WHERE id = $1`,
        [id],
      );
      const row = held.rows[0];
      if (!row || new Date(row.expires_at).getTime() <= now.getTime()) continue; // gone or expired since: try again
      if (row.status === null) return { kind: 'in-flight', requestHash: row.request_hash, owner: row.owner_instance };
      return {
        kind: 'done',
        requestHash: row.request_hash,
        response: { status: row.status, contentType: row.content_type ?? 'application/json', body: row.body ?? '' },
      };
    }
    throw new Error(`idempotency key ${id}: could not claim or read it`);
  }

  async takeOver(t: TakeOver): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE idempotency_keys SET request_hash = $2, owner_instance = $3, locked_until = $4, created_at = $5,
              expires_at = $6
        WHERE id = $1 AND status IS NULL AND owner_instance = $7`,
      [
        t.id,
        t.requestHash,
        t.owner,
        new Date(t.now.getTime() + t.lockMs),
        t.now,
        new Date(t.now.getTime() + t.ttlMs),
        t.deadOwner,
      ],
    );
    return rowCount === 1;
  }

  async complete(id: string, requestHash: string, response: StoredResponse): Promise<void> {
    await this.db.query(
      `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5, locked_until = NULL
       WHERE id = $1 AND request_hash = $2 AND status IS NULL`,
      [id, requestHash, response.status, response.contentType, response.body],
    );
  }

  async release(id: string, requestHash: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE id = $1 AND request_hash = $2 AND status IS NULL`, [
      id,
      requestHash,
    ]);
  }

  async prune(now: Date): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM idempotency_keys WHERE expires_at <= $1`, [now]);
    return rowCount;
  }
}
