import type { Escrow } from '../../domain/index.js';
import type { CommandEnvelope, CommandResult } from '../envelope.js';
import type { StoredEvent } from './storedEvent.js';

export interface HandledCommand {
  result: CommandResult;
  /** The escrow after the command (for a duplicate: as it is now). */
  escrow: Escrow;
  duplicate: boolean;
  events: StoredEvent[];
}

/** Where a command goes to be applied: the handler itself (embedded), or a broker in front of workers (Kafka). */
export interface CommandSink {
  handle(env: CommandEnvelope): Promise<HandledCommand>;
}
