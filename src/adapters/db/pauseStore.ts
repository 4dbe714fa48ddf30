import {
  PAUSE_SCOPES,
  type NewPauses,
  type Pause,
  type PauseActor,
  type PauseLift,
  type PauseStore,
} from '../../app/ports/pauseStore.js';
import type { Database, Queryable } from './database.js';

const PAUSE = `id, scope, reason, set_by AS "setBy", set_role AS "setRole", iso(set_at) AS "setAt",
  iso(lifted_at) AS "liftedAt", lifted_by AS "liftedBy", lift_reason AS "liftReason"`;

/** NOTIFY on this channel in the change's transaction: delivered at commit, to every process that LISTENs. */
export const PAUSE_CHANNEL = 'escrow_pause';
const NOTIFY = `SELECT pg_notify('${PAUSE_CHANNEL}', $1)`;

const AUDIT = `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES (NULL, $1, $2, $3, $4::jsonb, $5)`;

/** The scopes' own order (payouts, intake), whatever order the database returned them in. */
const byScope = (rows: Pause[]): Pause[] =>
  rows.sort((a, b) => PAUSE_SCOPES.indexOf(a.scope) - PAUSE_SCOPES.indexOf(b.scope));

/**
 * The emergency pause (pauses, migration 016): each change with its audit row and its NOTIFY in one transaction;
 * rows are lifted, never deleted. The partial unique index keeps one pause in force per scope, so operators (or
 * replicas starting with MAINTENANCE_MODE) pausing at once make one pause: ON CONFLICT keeps the first.
 */
export class SqlPauseStore implements PauseStore {
  constructor(private readonly db: Database) {}

  pause(p: NewPauses): Promise<Pause[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Pause>(
        `INSERT INTO pauses (id, scope, reason, set_by, set_role, set_at)
         SELECT u.id, u.scope, $3, $4, $5, $6 FROM unnest($1::uuid[], $2::text[]) AS u(id, scope)
         ON CONFLICT (scope) WHERE lifted_at IS NULL DO NOTHING
         RETURNING ${PAUSE}`,
        [[...p.ids], [...p.scopes], p.reason, p.actor.id, p.actor.role, p.at],
      );
      if (rows.length === 0) return [];
      const pauses = byScope(rows);
      await changed(tx, p.actor, 'pause.set', p.at, { reason: p.reason, scopes: p.scopes, pauses });
      return pauses;
    });
  }

  lift(l: PauseLift): Promise<Pause[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<Pause>(
        `UPDATE pauses SET lifted_at = $2, lifted_by = $3, lift_reason = $4
          WHERE scope = ANY($1::text[]) AND lifted_at IS NULL
          RETURNING ${PAUSE}`,
        [[...l.scopes], l.at, l.actor.id, l.reason],
      );
      if (rows.length === 0) return [];
      const pauses = byScope(rows);
      await changed(tx, l.actor, 'pause.lift', l.at, { reason: l.reason, scopes: l.scopes, pauses });
      return pauses;
    });
  }

  async inForce(): Promise<Pause[]> {
    const { rows } = await this.db.query<Pause>(`SELECT ${PAUSE} FROM pauses WHERE lifted_at IS NULL`);
    return byScope(rows);
  }

  async history(limit: number): Promise<Pause[]> {
    const { rows } = await this.db.query<Pause>(`SELECT ${PAUSE} FROM pauses ORDER BY set_at DESC, id DESC LIMIT $1`, [
      limit,
    ]);
    return rows;
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.db.listen(PAUSE_CHANNEL, () => onChange(), { onReconnect: onChange });
  }
}

/** The audit row (who, what, why) and the NOTIFY of a change, in its transaction. */
async function changed(tx: Queryable, actor: PauseActor, action: string, at: string, details: object) {
  await tx.query(AUDIT, [actor.id, actor.role, action, JSON.stringify(details), at]);
  await tx.query(NOTIFY, [action]);
}
