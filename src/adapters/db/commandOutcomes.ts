import type { Escrow } from '../../domain/index.js';
import type { CommandEnvelope, CommandResult } from '../../app/envelope.js';
import type { CommandOutcomes } from '../../app/ports/index.js';
import type { Database } from './database.js';
import { escrowFromJson, type EscrowJson } from './escrowRows.js';

const COMMAND_OUTCOME = `
  SELECT p.result, (SELECT escrow_aggregate(e) FROM escrows e WHERE e.id = $2) AS escrow
    FROM processed_commands p WHERE p.command_id = $1`;

const WITH_OUTCOME = `SELECT command_id::text AS id FROM processed_commands WHERE command_id = ANY($1::uuid[])`;

const MARK_SUBMITTED = `
  INSERT INTO command_submissions (command_id, escrow_id, type, actor, submitted_at)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING`;

const PENDING_COMMAND = `
  SELECT escrow_id::text, type, actor ->> 'id' AS actor_id FROM command_submissions WHERE command_id = $1`;

/** Command outcomes in processed_commands, and the commands handed to the workers (command_submissions, 006). */
export class SqlCommandOutcomes implements CommandOutcomes {
  constructor(private readonly db: Database) {}

  async commandOutcome(
    commandId: string,
    escrowId: string,
  ): Promise<{ result: CommandResult; escrow: Escrow | null } | null> {
    const { rows } = await this.db.query<{ result: CommandResult; escrow: EscrowJson | null }>(COMMAND_OUTCOME, [
      commandId,
      escrowId,
    ]);
    const r = rows[0];
    return r ? { result: r.result, escrow: r.escrow ? escrowFromJson(r.escrow) : null } : null;
  }

  async withOutcome(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ id: string }>(WITH_OUTCOME, [ids]);
    return rows.map((r) => r.id);
  }

  async markSubmitted(env: CommandEnvelope, at: string): Promise<void> {
    await this.db.query(MARK_SUBMITTED, [env.commandId, env.escrowId, env.type, JSON.stringify(env.actor), at]);
  }

  async pendingCommand(
    commandId: string,
  ): Promise<{ commandId: string; escrowId: string; type: string; actorId: string } | null> {
    const { rows } = await this.db.query<{ escrow_id: string; type: string; actor_id: string }>(PENDING_COMMAND, [
      commandId,
    ]);
    const r = rows[0];
    return r ? { commandId, escrowId: r.escrow_id, type: r.type, actorId: r.actor_id } : null;
  }
}
