import type { DeadLetter, MigrationStatus, OutboxReplay, OutboxStatus } from '../app/operations.js';
import type { TimeoutRunSummary, WebhookOutcome } from '../app/ports/index.js';
import type { VerifyReport } from '../app/verify.js';

export interface PayOptions {
  outcome: 'succeed' | 'fail';
  amount?: string;
  currency?: string;
}

/**
 * What the data commands run on. `local`: this process opens the database (PostgreSQL, or the embedded data
 * directory under its lock). `server`: the embedded server that holds the data directory, through its admin API —
 * two processes must never open one directory. The commands print what these return, whichever way it ran.
 */
export interface Backend {
  readonly via: 'local' | 'server';
  migrate(): Promise<MigrationStatus>;
  sandboxPay(target: string, opts: PayOptions): Promise<WebhookOutcome>;
  timeouts(dryRun: boolean): Promise<TimeoutRunSummary>;
  verify(): Promise<VerifyReport>;
  outboxStatus(): Promise<OutboxStatus>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  replay(what: OutboxReplay, reason: string, dryRun: boolean): Promise<{ queued: number; dryRun?: true }>;
}
