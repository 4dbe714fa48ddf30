import {
  blacklistEntryExists,
  type BlacklistActor,
  type BlacklistEntry,
  type BlacklistKind,
  type BlacklistListQuery,
  type BlacklistRemoval,
  type BlacklistStore,
  type NewBlacklistEntry,
} from '../../app/ports/blacklistStore.js';
import { isPgError, type Database, type Queryable } from './database.js';

const ENTRY = `id, kind, value, reason, source, iso(expires_at) AS "expiresAt", created_by AS "createdBy",
  iso(created_at) AS "createdAt", iso(removed_at) AS "removedAt", removed_by AS "removedBy",
  removal_reason AS "removalReason"`;

/** Not removed, and not expired at $n. */
const ACTIVE_AT = (n: number) => `removed_at IS NULL AND (expires_at IS NULL OR expires_at > $${n}::timestamptz)`;

/** NOTIFY on this channel in the change's transaction: delivered at commit, to every process that LISTENs. */
export const BLACKLIST_CHANNEL = 'escrow_blacklist';
const NOTIFY = `SELECT pg_notify('${BLACKLIST_CHANNEL}', $1)`;

const AUDIT = `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES (NULL, $1, $2, $3, $4::jsonb, $5)`;

/**
 * The blacklist (blacklist_entries, migration 014): each change and its audit row in one transaction; entries are
 * never deleted. The partial unique index keeps one entry not removed per (kind, value), so two admins adding the
 * same value at once get one entry and one BLACKLIST_ENTRY_EXISTS.
 */
export class SqlBlacklistStore implements BlacklistStore {
  constructor(private readonly db: Database) {}

  async add(e: NewBlacklistEntry): Promise<BlacklistEntry> {
    try {
      return await this.db.transaction((tx) => this.insert(tx, e));
    } catch (err) {
      if (!isPgError(err) || err.code !== '23505' || err.constraint !== 'blacklist_entries_active') throw err;
      // another transaction added it between our look and our insert: answer as if we had seen it
      const active = await this.activeOf(this.db, e.kind, e.value, e.at);
      if (active) throw blacklistEntryExists(active);
      throw err;
    }
  }

  private async insert(tx: Queryable, e: NewBlacklistEntry): Promise<BlacklistEntry> {
    const { rows: current } = await tx.query<BlacklistEntry>(
      `SELECT ${ENTRY} FROM blacklist_entries WHERE kind = $1 AND value = $2 AND removed_at IS NULL FOR UPDATE`,
      [e.kind, e.value],
    );
    const previous = current[0];
    if (previous && (previous.expiresAt === null || Date.parse(previous.expiresAt) > Date.parse(e.at))) {
      throw blacklistEntryExists(previous);
    }
    if (previous) {
      // expired but never removed: retired so the new entry can be the one not removed (history kept)
      await tx.query(
        `UPDATE blacklist_entries SET removed_at = $2, removed_by = $3, removal_reason = $4 WHERE id = $1`,
        [previous.id, e.at, e.actor.id, `expired at ${previous.expiresAt}; superseded by entry ${e.id}`],
      );
    }
    const { rows } = await tx.query<BlacklistEntry>(
      `INSERT INTO blacklist_entries (id, kind, value, reason, source, expires_at, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       RETURNING ${ENTRY}`,
      [e.id, e.kind, e.value, e.reason, e.source, e.expiresAt, e.actor.id, e.at],
    );
    const entry = rows[0]!;
    await tx.query(NOTIFY, [entry.id]);
    await audit(tx, e.actor, 'BlacklistEntryAdded', e.at, {
      reason: e.reason,
      entry,
      ...(previous ? { supersededEntryId: previous.id } : {}),
    });
    return entry;
  }

  remove(r: BlacklistRemoval): Promise<BlacklistEntry | null> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<BlacklistEntry>(
        `UPDATE blacklist_entries SET removed_at = $2, removed_by = $3, removal_reason = $4
          WHERE id = $1 AND removed_at IS NULL
          RETURNING ${ENTRY}`,
        [r.id, r.at, r.actor.id, r.reason],
      );
      const entry = rows[0];
      if (!entry) return null;
      await tx.query(NOTIFY, [entry.id]);
      await audit(tx, r.actor, 'BlacklistEntryRemoved', r.at, { reason: r.reason, entry });
      return entry;
    });
  }

  async get(id: string): Promise<BlacklistEntry | null> {
    const { rows } = await this.db.query<BlacklistEntry>(`SELECT ${ENTRY} FROM blacklist_entries WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async list(q: BlacklistListQuery): Promise<BlacklistEntry[]> {
    const { rows } = await this.db.query<BlacklistEntry>(
      `SELECT ${ENTRY} FROM blacklist_entries
        WHERE ($1::text IS NULL OR kind = $1)
          AND ($2::boolean IS NULL OR (${ACTIVE_AT(3)}) = $2)
          AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $6`,
      [q.kind ?? null, q.active ?? null, q.now, q.after?.createdAt ?? null, q.after?.id ?? null, q.limit],
    );
    return rows;
  }

  async findActive(q: { userIds: readonly string[]; wallets: readonly string[]; now: string }) {
    if (q.userIds.length === 0 && q.wallets.length === 0) return [];
    const { rows } = await this.db.query<BlacklistEntry>(
      `SELECT ${ENTRY} FROM blacklist_entries
        WHERE ((kind = 'USER' AND value = ANY($1::text[])) OR (kind = 'WALLET' AND value = ANY($2::text[])))
          AND ${ACTIVE_AT(3)}
        ORDER BY kind, value`,
      [[...q.userIds], [...q.wallets], q.now],
    );
    return rows;
  }

  async notRemoved(limit: number): Promise<BlacklistEntry[]> {
    const { rows } = await this.db.query<BlacklistEntry>(
      `SELECT ${ENTRY} FROM blacklist_entries WHERE removed_at IS NULL ORDER BY kind, value LIMIT $1`,
      [limit],
    );
    return rows;
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.db.listen(BLACKLIST_CHANNEL, () => onChange(), { onReconnect: onChange });
  }

  private async activeOf(db: Queryable, kind: BlacklistKind, value: string, now: string) {
    const { rows } = await db.query<BlacklistEntry>(
      `SELECT ${ENTRY} FROM blacklist_entries WHERE kind = $1 AND value = $2 AND ${ACTIVE_AT(3)}`,
      [kind, value, now],
    );
    return rows[0] ?? null;
  }
}

function audit(tx: Queryable, actor: BlacklistActor, action: string, at: string, details: object): Promise<unknown> {
  return tx.query(AUDIT, [actor.id, actor.role, action, JSON.stringify(details), at]);
}
