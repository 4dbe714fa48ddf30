import type { Escrow, LedgerEntry } from '../../domain/index.js';
import type { CommandEnvelope, CommandRejection, CommandResult, WebhookMark } from '../envelope.js';
import type { StoredEvent } from './storedEvent.js';

/** Everything one command writes, committed atomically by EscrowStore.commit. */
export interface CommitRequest {
  envelope: CommandEnvelope;
  /** The handler's clock reading for this attempt. */
  at: string;
  before: Escrow | null;
  after: Escrow;
  events: StoredEvent[];
  postings: LedgerEntry[];
  result: CommandResult;
  webhook: WebhookMark | null;
}

export type CommitOutcome = { duplicate: false } | { duplicate: true; result: CommandResult };

export interface LoadedEscrow {
  escrow: Escrow | null;
  /** The stored result when this command id was already applied. */
  prior: CommandResult | null;
}

export interface EscrowStore {
  /** Loads the aggregate and any prior result of this command id, in one round trip. */
  load(escrowId: string, commandId: string): Promise<LoadedEscrow>;
  /** Writes state, events, ledger, outbox, audit and the command id in one transaction. Throws VersionConflict. */
  commit(req: CommitRequest): Promise<CommitOutcome>;
  /** Records a refusal as the command's outcome, unless the id already has one. */
  recordRejection(env: CommandEnvelope, rejection: CommandRejection, at: string): Promise<void>;
}

export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
}
