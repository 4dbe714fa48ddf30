import type { CommandEnvelope } from '../envelope.js';

/** Hands a command to the workers (Kafka's commands topic); resolves once the broker has it. */
export interface CommandTransport {
  send(env: CommandEnvelope): Promise<void>;
}
