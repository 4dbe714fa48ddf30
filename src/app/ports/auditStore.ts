import type { Actor } from '../../domain/index.js';

/** A command the command path refused: who asked for what, on which escrow, and the answer they got. */
export interface RefusedCommand {
  commandId: string;
  type: string;
  /** The escrow the command named (it may not exist, e.g. a refused create or an unknown id). */
  escrowId: string;
  actor: Actor;
  code: string;
  message: string;
  /** The refusal's field errors and current status, as the caller was told. */
  details: Record<string, unknown>;
  payload: unknown;
  /** The request id for HTTP callers, the trigger's correlation otherwise. */
  correlationId: string;
  at: string;
}

/** The audit trail of what the command path refused (accepted commands are audited in their own transaction). */
export interface AuditStore {
  /** One audit row for a refused command, on its escrow when that escrow exists. */
  recordRefusal(refusal: RefusedCommand): Promise<void>;
}
