import type { FastifyRequest } from 'fastify';
import type { OperatorServices } from '../../app/operatorServices.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  EscrowIdParams,
  QueueStatsView,
  RebuildBody,
  RebuildView,
  RetryAllBody,
  RetryAllView,
  RetryBody,
  RetryView,
  SettlementIdParams,
  SettlementsQuery,
  SettlementsView,
  StuckQuery,
  StuckView,
  TimelineView,
} from '../schemas/operator.js';

const tags = ['admin'];

const actorOf = (request: FastifyRequest) => ({ id: request.principal!.id, role: request.principal!.role });
const numberOf = (value: string | undefined) => (value === undefined ? undefined : Number(value));

/**
 * The operator's views and repairs (SPEC §8), for admins: stuck escrows, one escrow's timeline, the rebuild of a
 * drifted row from its events, settlements and their retry, the queues at a glance. The `escrow stuck|show|rebuild|
 * settlements|queues` commands go through these while the embedded server holds the data directory.
 */
export function operatorRoutes(app: Api, deps: RouteDeps & { deps: { operator: OperatorServices } }): void {
  const { views, repairs } = deps.deps.operator;
  const admin = deps.authenticate(['admin']);
  const problems = S.problems(400, 401, 403, 429);

  app.get(
    '/admin/escrows/stuck',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Escrows past their expected next step, oldest first (escrow stuck)',
        description:
          'PAYMENT_DEADLINE_PASSED (AWAIT_FUNDS past expiresAt: timeouts not run), CONFIRMATION_DEADLINE_PASSED ' +
          '(DELIVERED or milestone FUNDS_HELD past autoRefundAt), HELD_OVER_7_DAYS (seed 001: FUNDS_HELD created ' +
          'more than 7 days ago, highValue), SETTLEMENT_PENDING (not completed after 30 minutes), SETTLEMENT_FAILED, ' +
          'DISPUTE_SLA_PASSED. Sorted by age (since the oldest reason), then amount.',
        querystring: StuckQuery,
        response: { 200: StuckView, ...problems },
      },
    },
    (request) => {
      const q = request.query;
      return views.stuck({
        ...(q.olderThanHours === undefined ? {} : { olderThanHours: Number(q.olderThanHours) }),
        ...(q.minAmount === undefined ? {} : { minAmount: q.minAmount }),
        ...(q.currency === undefined ? {} : { currency: q.currency }),
        highValue: q.highValue === 'true',
        ...(q.limit === undefined ? {} : { limit: numberOf(q.limit)! }),
      });
    },
  );

  app.get(
    '/admin/escrows/:id/timeline',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: "One escrow's whole history, grouped (escrow show)",
        description:
          'The escrow row, its events, ledger postings, settlements (attempts, last error), provider webhooks that ' +
          'named it (metadata only, never bodies), outbox rows of its events, audit rows and disputes.',
        params: EscrowIdParams,
        response: { 200: TimelineView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => views.timeline(request.params.id),
  );

  app.post(
    '/admin/escrows/:id/rebuild',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Refold the escrows row from its events and repair a drift (escrow rebuild; audited, dry run)',
        description:
          'The difference of the stored row from fold(events), field by field. Without dryRun a drifted row is ' +
          'rewritten (the row only: never events, ledger or side tables) with an escrow.rebuild audit row in the ' +
          'same transaction; reason is required then. No drift: nothing changes.',
        params: EscrowIdParams,
        body: RebuildBody,
        response: { 200: RebuildView, ...S.problems(400, 401, 403, 404, 409, 429) },
      },
    },
    (request) => {
      const { reason, dryRun = false } = request.body;
      return repairs.rebuild(actorOf(request), request.params.id, {
        dryRun,
        ...(reason === undefined ? {} : { reason }),
      });
    },
  );
  settlementRoutes(app, deps.deps.operator, admin);
}

function settlementRoutes(
  app: Api,
  { views, repairs }: OperatorServices,
  admin: ReturnType<RouteDeps['authenticate']>,
): void {
  app.get(
    '/admin/settlements',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Settlements with their escrow, rail, attempts and last error, oldest first (escrow settlements)',
        querystring: SettlementsQuery,
        response: { 200: SettlementsView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) =>
      views.settlements({
        ...(request.query.status === undefined ? {} : { status: request.query.status }),
        ...(request.query.limit === undefined ? {} : { limit: Number(request.query.limit) }),
      }),
  );

  app.post(
    '/admin/settlements/:settlementId/retry',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Retry a FAILED settlement as this admin (RetrySettlement; audited with the reason; dry run)',
        params: SettlementIdParams,
        body: RetryBody,
        response: { 200: RetryView, ...S.problems(400, 401, 403, 404, 409, 429) },
      },
    },
    (request) =>
      repairs.retrySettlement(actorOf(request), request.params.settlementId, {
        reason: request.body.reason,
        dryRun: request.body.dryRun ?? false,
      }),
  );

  app.get(
    '/admin/queues/stats',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Every queue at a glance against its runbook threshold (escrow queues)',
        description:
          'Outbox (unpublished, oldest, dead letters), settlements, provider webhooks, commands (Kafka mode: ' +
          'submitted without an outcome; idempotency keys in flight), timeouts due, disputes, suspense. A line is ' +
          'PROBLEM past its threshold (outbox > 100 or oldest > 5 min), WARN when it needs a look.',
        response: { 200: QueueStatsView, ...S.problems(401, 403, 429) },
      },
    },
    () => views.queues(),
  );

  app.post(
    '/admin/settlements/retry-failed',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Retry every FAILED settlement (at most limit), each audited; one refused does not stop the rest',
        body: RetryAllBody,
        response: { 200: RetryAllView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) =>
      repairs.retryAllFailed(actorOf(request), {
        reason: request.body.reason,
        dryRun: request.body.dryRun ?? false,
        limit: request.body.limit ?? 50,
      }),
  );
}
