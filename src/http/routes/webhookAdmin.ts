import type { FastifyRequest } from 'fastify';
import type { OperationsService, OperatorAction } from '../../app/operations.js';
import type { StoredWebhook, WebhookSelection } from '../../app/ports/index.js';
import type { ReconciliationReport, Reconciler } from '../../app/reconciler.js';
import type { ReprocessedWebhook, WebhookProcessor } from '../../app/webhookProcessor.js';
import type { HttpDeps } from '../deps.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  FailedWebhookList,
  FailedWebhooksQuery,
  ReconcileBody,
  ReconciliationReportView,
  WEBHOOK_SELECTION_MAX,
  WebhookReprocessBody,
  WebhookReprocessResult,
} from '../schemas/webhookAdmin.js';

/** What these routes need of HttpDeps. */
export interface WebhookAdminDeps {
  /** Provider events stored unprocessed (failed), oldest first: WebhookStore.unprocessed. */
  webhookFailures: (selection: WebhookSelection) => Promise<StoredWebhook[]>;
  webhookProcessor: Pick<WebhookProcessor, 'reprocess'>;
  /** `escrow reconcile`: missed webhooks applied, and the three-way report. */
  reconciler: Pick<Reconciler, 'run'>;
  rails: HttpDeps['rails'];
  operations: Pick<OperationsService, 'audited'>;
}

/** A failed event as operators see it: metadata only — never the raw body or headers, which may hold personal data. */
export interface FailedWebhook {
  provider: string;
  eventId: string;
  type: string;
  escrowId: string | null;
  attempts: number;
  lastError: string | null;
  receivedAt: string;
  /** Raw bytes kept and the provider enabled: reprocess can verify it again and apply it. */
  reprocessable: boolean;
}

export interface WebhookReprocessOutcome {
  dryRun: boolean;
  results: ReprocessedWebhook[];
}

/** The list `escrow webhooks failed` and GET /api/admin/webhooks/failed answer, whichever way it runs. */
export function failedWebhooks(stored: readonly StoredWebhook[], enabled: readonly string[]): FailedWebhook[] {
  return stored.map((w) => ({
    provider: w.provider,
    eventId: w.eventId,
    type: w.type,
    escrowId: w.escrowId,
    attempts: w.attempts,
    lastError: w.lastError,
    receivedAt: w.receivedAt,
    reprocessable: w.raw !== null && enabled.includes(w.provider),
  }));
}

/** How many reprocessed events ended which way (the audit row's outcome). */
export function reprocessCounts(results: readonly ReprocessedWebhook[]): Record<string, number> {
  const counts: Record<string, number> = { processed: 0, duplicate: 0, failed: 0, skipped: 0 };
  for (const r of results) counts[r.result.status] = (counts[r.result.status] ?? 0) + 1;
  return counts;
}

/**
 * Reprocesses the selected failed events (audited as `webhooks.reprocess` with the selection and the outcome
 * counts; a dry run changes nothing and is not audited).
 */
export async function reprocessWebhooks(
  deps: Pick<WebhookAdminDeps, 'webhookProcessor' | 'operations'>,
  selection: WebhookSelection,
  by: Omit<OperatorAction, 'action'>,
  dryRun: boolean,
): Promise<WebhookReprocessOutcome> {
  const results = await deps.webhookProcessor.reprocess(selection, dryRun);
  if (dryRun) return { dryRun, results };
  // audited after the run, so the row says what became of the events
  const details = { selection: { ...selection }, outcomes: reprocessCounts(results) };
  await deps.operations.audited({ ...by, action: 'webhooks.reprocess', details }, () => Promise.resolve(results));
  return { dryRun, results };
}

/** Runs the reconciler (audited as `reconcile.run` unless a dry run). */
export function reconcileNow(
  deps: Pick<WebhookAdminDeps, 'reconciler' | 'operations'>,
  opts: { dryRun: boolean; windowHours?: number },
  by: Omit<OperatorAction, 'action'>,
): Promise<ReconciliationReport> {
  const { dryRun, windowHours } = opts;
  const run = () =>
    deps.reconciler.run({ dryRun, ...(windowHours === undefined ? {} : { windowMs: windowHours * 3_600_000 }) });
  if (dryRun) return run();
  const details = { dryRun, ...(windowHours === undefined ? {} : { windowHours }) };
  return deps.operations.audited({ ...by, action: 'reconcile.run', details }, run);
}

const TAGS = ['admin'];

const by = (request: FastifyRequest, reason: string | undefined): Omit<OperatorAction, 'action'> => ({
  actor: { id: request.principal!.id, role: request.principal!.role },
  reason: reason ?? 'none given',
});

/** `since` as the store takes it (an ISO time), or a 400 naming the field. */
function sinceOf(since: string): string {
  const t = Date.parse(since);
  if (Number.isNaN(t)) {
    throw new HttpError(400, 'VALIDATION_ERROR', 'since must be an ISO 8601 date-time', {}, [
      { field: 'since', message: 'must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00.000Z' },
    ]);
  }
  return new Date(t).toISOString();
}

/**
 * Provider webhooks and reconciliation for operators (admin only; seed 004's runbook, SPEC §8): the failed events
 * (metadata, never bodies), their reprocessing — verified again over the stored raw bytes, applied at most once, with
 * a dry run, audited — and a reconciler run on demand. The `escrow webhooks` and `escrow reconcile` commands go
 * through these while the embedded server holds the data directory.
 */
export function webhookAdminRoutes(app: Api, deps: WebhookAdminRouteDeps): void {
  failedRoute(app, deps);
  reprocessRoute(app, deps);
  reconcileRoute(app, deps);
}

type WebhookAdminRouteDeps = Omit<RouteDeps, 'deps'> & { deps: WebhookAdminDeps };

function failedRoute(app: Api, { deps: d, authenticate }: WebhookAdminRouteDeps): void {
  app.get(
    '/admin/webhooks/failed',
    {
      onRequest: authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Provider events stored unprocessed, with their last error, oldest first (escrow webhooks failed)',
        description: 'Metadata only: the raw bodies and headers are kept for reprocessing but never returned.',
        querystring: FailedWebhooksQuery,
        response: { 200: FailedWebhookList, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { provider, since, limit } = request.query;
      const n = limit === undefined ? 100 : Number(limit);
      if (n < 1 || n > WEBHOOK_SELECTION_MAX) {
        throw new HttpError(400, 'VALIDATION_ERROR', `limit must be 1-${WEBHOOK_SELECTION_MAX}`, {}, [
          { field: 'limit', message: `must be 1-${WEBHOOK_SELECTION_MAX}` },
        ]);
      }
      const selection: WebhookSelection = {
        limit: n,
        ...(provider ? { provider } : {}),
        ...(since ? { since: sinceOf(since) } : {}),
      };
      return {
        items: failedWebhooks(
          await d.webhookFailures(selection),
          d.rails.map((r) => r.provider),
        ),
      };
    },
  );
}

function reprocessRoute(app: Api, { deps: d, authenticate }: WebhookAdminRouteDeps): void {
  app.post(
    '/admin/webhooks/reprocess',
    {
      onRequest: authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Verify failed provider events again over their stored raw bytes and apply them (audited)',
        description:
          'An event whose stored bytes no longer verify, stored before raw bytes were kept, or from a provider not ' +
          'enabled is skipped with the reason and changes nothing. {"dryRun": true} only lists what would be ' +
          'reprocessed. Audited as webhooks.reprocess with the selection and the outcome counts.',
        headers: S.IdempotencyHeaders,
        body: WebhookReprocessBody,
        response: { 200: WebhookReprocessResult, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      const { provider, eventId, since, limit = 100, reason, dryRun = false } = request.body;
      const selection: WebhookSelection = {
        limit,
        ...(provider ? { provider } : {}),
        ...(eventId ? { eventId } : {}),
        ...(since ? { since: sinceOf(since) } : {}),
      };
      return reprocessWebhooks(d, selection, by(request, reason), dryRun);
    },
  );
}

function reconcileRoute(app: Api, { deps: d, authenticate }: WebhookAdminRouteDeps): void {
  app.post(
    '/admin/reconcile',
    {
      onRequest: authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Reconcile escrow state, ledger and providers now (escrow reconcile); audited unless a dry run',
        description:
          'Asks each provider about escrows still awaiting funds and settlements still pending, applies what it ' +
          'says through the command path (a late webhook is then a duplicate), and reports every mismatch with its ' +
          'fix and the treasury line per rail and currency. {"dryRun": true} applies nothing.',
        headers: S.IdempotencyHeaders,
        body: ReconcileBody,
        response: { 200: ReconciliationReportView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      const { dryRun = false, windowHours, reason } = request.body;
      return reconcileNow(d, { dryRun, ...(windowHours === undefined ? {} : { windowHours }) }, by(request, reason));
    },
  );
}
