import type { Database } from './database.js';
import { appliedMigrations, loadMigrations, migrate, migrationStates, type MigrationState } from './migrate.js';

/** An operator action's audit row: who (actor), what (action, details) and why (reason). */
export interface OperatorAuditRow {
  actor: { id: string; role: string };
  action: string;
  reason: string;
  escrowId?: string;
  details?: Record<string, unknown>;
}

/** The operator side of the database: audit rows of operator actions, the migration status, replay counts. */
export class SqlMaintenanceStore {
  constructor(private readonly db: Database) {}

  /** One audit_logs row for an action an operator ran through the admin API or the CLI. */
  async audit(row: OperatorAuditRow): Promise<void> {
    // escrow_id stays empty (the escrow is in details): an operator may name an escrow that does not exist, and
    // escrow verify counts an audit row on an unknown escrow as an orphan
    await this.db.query(
      `INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
       VALUES (NULL, $1, $2, $3, $4::jsonb, now())`,
      [
        row.actor.id,
        row.actor.role,
        row.action,
        JSON.stringify({ reason: row.reason, ...(row.escrowId ? { escrowId: row.escrowId } : {}), ...row.details }),
      ],
    );
  }

  /**
   * The migrations installed and pending, and each one's state (`migrations`: applied, pending, or applied but unknown
   * to this release; whether its file changed since); with `apply`, the pending ones applied first (the runner's lock).
   */
  async migrations(
    apply: boolean,
  ): Promise<{ applied: string[]; installed: string[]; pending: string[]; migrations: MigrationState[] }> {
    const applied = apply ? await migrate(this.db) : [];
    const rows = await appliedMigrations(this.db);
    const migrations = migrationStates(loadMigrations(), rows);
    const pending = migrations.filter((m) => m.state === 'pending').map((m) => m.name);
    return { applied, installed: rows.map((r) => r.name), pending, migrations };
  }

  /**
   * How many outbox rows a replay would queue: the WHERE clauses of SqlOutboxStore.replay. A skipped row is no dead
   * letter (the skip clears dead_lettered_at), so neither counts or replays it by id or with `allDead`; an escrow's
   * re-publish counts and sends all its rows, skipped ones included.
   */
  async countReplay(what: { ids?: readonly string[]; allDead?: boolean; escrowId?: string }): Promise<number> {
    const { rows } = what.escrowId
      ? await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE escrow_id = $1::uuid', [
          what.escrowId,
        ])
      : what.allDead
        ? await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE dead_lettered_at IS NOT NULL')
        : await this.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM outbox WHERE dead_lettered_at IS NOT NULL AND id = ANY($1::bigint[])`,
            [what.ids ?? []],
          );
    return rows[0]?.n ?? 0;
  }
}
