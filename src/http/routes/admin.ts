import type { FastifyRequest } from 'fastify';
import type { OperatorAction, OutboxReplay } from '../../app/operations.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

/**
 * The operator routes (admin only): timeouts, verify, the outbox (status, dead letters, replay, skip), migrations and
 * the sandbox's payment. The `escrow` CLI goes through them while an embedded server owns the data directory; what
 * changes something is audited (who, what, why) and has a dry run.
 */
export function adminRoutes(app: Api, deps: RouteDeps): void {
  timeoutRoutes(app, deps);
  verifyRoutes(app, deps);
  outboxRoutes(app, deps);
  migrationRoutes(app, deps);
  // Where the SANDBOX rail is off (production with real rails), its payment simulator does not exist at all.
  if (deps.deps.simulator) sandboxRoutes(app, deps);
}

const TAGS = ['admin'];

/** The audit entry's who (the token's subject) and why. */
const by = (request: FastifyRequest, reason: string | undefined): Omit<OperatorAction, 'action'> => ({
  actor: { id: request.principal!.id, role: request.principal!.role },
  reason: reason ?? 'none given',
});

function timeoutRoutes(app: Api, deps: RouteDeps): void {
  app.post(
    '/admin/process-timeouts',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Apply due payment and confirmation deadlines now (same commands as the timeouts role)',
        description: 'Body optional: {"dryRun": true} lists what is due without applying it.',
        headers: S.IdempotencyHeaders,
        response: { 200: S.TimeoutsSummary, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      // The body is optional, so it is checked here rather than by a (required) body schema.
      const body: unknown = request.body;
      const ok =
        body === undefined ||
        (typeof body === 'object' &&
          body !== null &&
          !Array.isArray(body) &&
          Object.keys(body).every((k) => k === 'dryRun') &&
          ['boolean', 'undefined'].includes(typeof (body as { dryRun?: unknown }).dryRun));
      if (!ok) {
        throw new HttpError(400, 'VALIDATION_ERROR', 'the body may only be {"dryRun": true|false}', {}, [
          { field: 'dryRun', message: 'must be a boolean; no other fields' },
        ]);
      }
      const dryRun = (body as { dryRun?: boolean } | undefined)?.dryRun ?? false;
      const run = () => deps.deps.timeouts.runOnce({ dryRun });
      if (dryRun) return run();
      return deps.deps.operations.audited({ ...by(request, undefined), action: 'timeouts.run' }, run);
    },
  );
}

function verifyRoutes(app: Api, deps: RouteDeps): void {
  app.get(
    '/admin/verify',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Check every ledger and event invariant on the live database (escrow verify)',
        response: { 200: S.VerifyResult, ...S.problems(401, 403, 429) },
      },
    },
    async () => {
      const report = await deps.deps.operations.verify();
      return { ok: report.violations.length === 0, ...report };
    },
  );
}

function outboxRoutes(app: Api, deps: RouteDeps): void {
  const { operations } = deps.deps;
  const admin = deps.authenticate(['admin']);
  app.get(
    '/admin/outbox',
    {
      onRequest: admin,
      schema: {
        tags: TAGS,
        summary: "Unpublished events, the oldest one's age and dead letters (escrow outbox status)",
        response: { 200: S.OutboxStatusView, ...S.problems(401, 403, 429) },
      },
    },
    () => operations.outboxStatus(),
  );
  app.get(
    '/admin/outbox/dead-letters',
    {
      onRequest: admin,
      schema: {
        tags: TAGS,
        summary: 'Dead-lettered events with their last error, oldest first (escrow outbox dlq)',
        querystring: S.DeadLetterQuery,
        response: { 200: S.DeadLetterList, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => operations.deadLetters(Number(request.query.limit ?? 100)),
  );
  app.post(
    '/admin/outbox/replay',
    {
      onRequest: admin,
      schema: {
        tags: TAGS,
        summary: "Send dead letters again, or re-publish an escrow's events (escrow outbox replay); audited",
        headers: S.IdempotencyHeaders,
        body: S.OutboxReplayBody,
        response: { 200: S.OutboxReplayResult, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      const { all, ids, escrowId, reason, dryRun } = request.body;
      const chosen = [all, ids, escrowId].filter((x) => x !== undefined).length;
      if (chosen !== 1) {
        throw new HttpError(400, 'VALIDATION_ERROR', 'choose exactly one of all, ids or escrowId', {}, [
          { field: 'all', message: 'give one of all: true, ids: ["42"] or escrowId' },
        ]);
      }
      const what: OutboxReplay = all ? { allDead: true } : ids ? { ids } : { escrowId: escrowId! };
      return operations.replayOutbox(what, { ...by(request, reason), ...(escrowId ? { escrowId } : {}) }, dryRun);
    },
  );
  outboxSkipRoute(app, deps);
}

function outboxSkipRoute(app: Api, deps: RouteDeps): void {
  app.post(
    '/admin/outbox/:outboxId/skip',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: "Give up on a dead letter for good: its escrow's later events go out (escrow outbox skip); audited",
        description:
          'The event is never published (a replay would send it instead, first). 404 when the id is not a dead ' +
          'letter; {"dryRun": true} only says whether it would be skipped.',
        params: S.OutboxSkipParams,
        headers: S.IdempotencyHeaders,
        body: S.OutboxSkipBody,
        response: { 200: S.OutboxSkipResult, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    async (request) => {
      const id = request.params.outboxId;
      const { reason, dryRun = false } = request.body;
      // an id that is no outbox row id (digits) is no dead letter either
      const outcome = /^[0-9]{1,19}$/.test(id)
        ? await deps.deps.operations.skipOutbox(id, by(request, reason), dryRun)
        : { skipped: false };
      if (!outcome.skipped) {
        throw new HttpError(
          404,
          'DEAD_LETTER_NOT_FOUND',
          `outbox row ${id} is not a dead letter (escrow outbox dlq lists them)`,
        );
      }
      return { id, ...outcome };
    },
  );
}

function migrationRoutes(app: Api, deps: RouteDeps): void {
  const { operations } = deps.deps;
  const admin = deps.authenticate(['admin']);
  app.get(
    '/admin/migrations',
    {
      onRequest: admin,
      schema: {
        tags: TAGS,
        summary: 'The schema migrations installed and pending',
        response: { 200: S.MigrationsView, ...S.problems(401, 403, 429) },
      },
    },
    (request) => operations.migrations(false, by(request, undefined)),
  );
  app.post(
    '/admin/migrations',
    {
      onRequest: admin,
      schema: {
        tags: TAGS,
        summary: 'Apply the pending migrations (escrow migrate); {"dryRun": true} only lists them; audited',
        headers: S.IdempotencyHeaders,
        body: S.MigrationsBody,
        response: { 200: S.MigrationsView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => operations.migrations(!request.body.dryRun, by(request, request.body.reason)),
  );
}

function sandboxRoutes(app: Api, deps: RouteDeps): void {
  app.post(
    '/admin/sandbox/payments',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Simulate the buyer paying on the SANDBOX rail, by escrow id or reference (escrow sandbox pay)',
        description: 'A signed sandbox webhook through the webhook intake; `amount`/`currency` test mismatches.',
        headers: S.IdempotencyHeaders,
        body: S.SandboxPaymentBody,
        response: { 200: S.WebhookOutcomeView, ...S.problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      const simulator = deps.deps.simulator;
      if (!simulator) throw new HttpError(409, 'SANDBOX_DISABLED', 'the SANDBOX rail is not enabled (ESCROW_RAILS)');
      const { target, outcome = 'succeed', amount, currency, reason } = request.body;
      const action = { ...by(request, reason), action: 'sandbox.pay', details: { target, outcome } };
      const paid = await deps.deps.operations.audited(action, () =>
        simulator.pay(target, { outcome, ...(amount ? { amount } : {}), ...(currency ? { currency } : {}) }),
      );
      return paid.outcome;
    },
  );
}
