import type { Escrow } from '../../domain/index.js';
import type { CommandEnvelope, CommandResult } from '../envelope.js';

/** Where the API reads a command's outcome, and notes one it stopped waiting for. */
export interface CommandOutcomes {
  /** A command's recorded result, with the escrow `escrowId` as it is now (one read): null before the outcome. */
  commandOutcome(commandId: string, escrowId: string): Promise<{ result: CommandResult; escrow: Escrow | null } | null>;
  /** Those of `ids` that have an outcome now. */
  withOutcome(ids: readonly string[]): Promise<string[]>;
  markSubmitted(env: CommandEnvelope, at: string): Promise<void>;
  /** A command handed to the workers that has no outcome yet (the API answered 202), or null. */
  pendingCommand(
    commandId: string,
  ): Promise<{ commandId: string; escrowId: string; type: string; actorId: string } | null>;
}
