import { applicationDocs, authDocs, databaseDocs, idempotencyDocs, processesDocs } from './core.js';
import { escrowDocs, kafkaDocs, webhooksDocs } from './engine.js';
import { filesDocs, railsDocs, riskDocs, vaultDocs } from './providers.js';
import type { Env } from '../schema.js';
import type { VariableDoc } from './types.js';

export type { VariableDoc } from './types.js';

/** A part of the configuration, as docs/deployment.md lists it (the deployment guide's sections, for this product). */
export interface VariableSection {
  title: string;
  variables: Readonly<Record<string, VariableDoc>>;
}

const sections = [
  { title: 'Application and HTTP', variables: applicationDocs },
  { title: 'Authentication', variables: authDocs },
  { title: 'Database', variables: databaseDocs },
  { title: 'Escrow rules, disputes and approvals', variables: escrowDocs },
  { title: 'Payment rails', variables: railsDocs },
  { title: 'Risk screening', variables: riskDocs },
  { title: 'Credential vault', variables: vaultDocs },
  { title: 'Files (evidence, contracts, deliverables)', variables: filesDocs },
  { title: 'Idempotency and Redis', variables: idempotencyDocs },
  { title: 'Processes, heartbeats and the outbox', variables: processesDocs },
  { title: 'Kafka', variables: kafkaDocs },
  { title: 'Outgoing webhooks', variables: webhooksDocs },
] as const;

/** Every variable the configuration schema reads, once, in the order the documentation lists them. */
export const SECTIONS: readonly VariableSection[] = sections;

/** The variables the sections document (a union over the sections). */
type Documented = (typeof sections)[number] extends infer S
  ? S extends { variables: infer V }
    ? keyof V
    : never
  : never;
/** Every variable of the schema has its documentation: the compiler names the one that is missing. */
const complete: [Exclude<keyof Env, Documented>] extends [never] ? true : Exclude<keyof Env, Documented> = true;
void complete;
