import type { DeadLetter, MigrationStatus, OutboxReplay, OutboxSkip, OutboxStatus } from '../app/operations.js';
import type { SuspenseFilter, TimeoutRunSummary, WebhookOutcome, WebhookSelection } from '../app/ports/index.js';
import type { ReconciliationReport } from '../app/reconciler.js';
import type { RotationReport } from '../app/vault.js';
import type { VerifyProgress, VerifyReport } from '../app/verify.js';
import type { DisputeQueue } from '../http/routes/disputeAdmin.js';
import type { FailedWebhook, WebhookReprocessOutcome } from '../http/routes/webhookAdmin.js';
import type { BlacklistBackend } from './commands/blacklist.js';
import type { HealthBackend } from './commands/health.js';
import type { PauseBackend } from './commands/pause.js';
import type { OperatorBackend } from './commands/operatorBackend.js';
import type { ApprovalsBackend } from './commands/approvals.js';
import type { ReportBackend } from './commands/report.js';
import type { TokenBackend } from './commands/tokens.js';
import type { WebhookEndpointBackend } from './commands/webhookEndpoints.js';

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
/** A JSON object as the server answers it (bigints as digit strings); the local way answers the same, as JSON. */
export type Json = Record<string, unknown>;

/** A page of `escrow suspense list`. */
export interface SuspensePageOptions {
  filter: SuspenseFilter;
  limit: number;
  cursor: string | null;
}

export interface Backend
  extends
    BlacklistBackend,
    PauseBackend,
    HealthBackend,
    TokenBackend,
    ReportBackend,
    ApprovalsBackend,
    OperatorBackend,
    WebhookEndpointBackend {
  readonly via: 'local' | 'server';
  migrate(): Promise<MigrationStatus>;
  /** The migration status, applying nothing and auditing nothing (`escrow migrate --status`, `--dry-run`). */
  migrationStatus(): Promise<MigrationStatus>;
  sandboxPay(target: string, opts: PayOptions): Promise<WebhookOutcome>;
  timeouts(dryRun: boolean): Promise<TimeoutRunSummary>;
  /** `onProgress` is told as escrows are checked (in this process only: the server's run is one request). */
  verify(onProgress?: VerifyProgress): Promise<VerifyReport>;
  outboxStatus(): Promise<OutboxStatus>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  replay(what: OutboxReplay, reason: string, dryRun: boolean): Promise<{ queued: number; dryRun?: true }>;
  /** Gives up on a dead letter for good (audited); `skipped: false` when `id` is not one. */
  outboxSkip(id: string, reason: string, dryRun: boolean): Promise<OutboxSkip>;
  suspenseList(page: SuspensePageOptions): Promise<Json>;
  /** The escrow after the refund, or with `dryRun` the events it would record; null when there is no such item. */
  suspenseRefund(suspenseId: string, reason: string, dryRun: boolean): Promise<Json | null>;
  /** Applies `suspenseIds` (the first names the escrow) to their escrow, as `suspenseRefund` answers. */
  suspenseApply(suspenseIds: readonly [string, ...string[]], reason: string, dryRun: boolean): Promise<Json | null>;
  /** Provider events stored unprocessed, oldest first: metadata only, never their bodies. */
  webhooksFailed(selection: WebhookSelection): Promise<FailedWebhook[]>;
  /** Verifies the selected failed events again over their stored raw bytes and applies them (audited). */
  webhooksReprocess(selection: WebhookSelection, reason: string, dryRun: boolean): Promise<WebhookReprocessOutcome>;
  /** A reconciler run (audited unless a dry run); `windowHours` defaults to RECONCILE_WINDOW_HOURS. */
  reconcile(opts: { dryRun: boolean; windowHours?: number; reason: string }): Promise<ReconciliationReport>;
  /** The open disputes, next deadline first (only those past a deadline with `overdue`), and the overdue counts. */
  disputes(opts: { overdue: boolean; limit: number }): Promise<DisputeQueue>;
  /** Reseals every vault secret under VAULT_KEY (audited per secret), or with `dryRun` counts them per key. */
  vaultRotate(opts: { reason: string; dryRun: boolean }): Promise<RotationReport>;
}
