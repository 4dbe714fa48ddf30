import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HandledCommand } from '../../app/ports/index.js';
import { dryRunSuspense, type SuspenseCommand } from '../../app/suspenseDryRun.js';
import { PAGE_SIZE } from '../../domain/index.js';
import type { KeyedOptions } from '../idempotency.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { jsonSafe } from '../views.js';
import { commonErrors, escrowRouteKit, type EscrowRouteKit } from './escrowRouteKit.js';

const tags = ['admin'];
/** The escrow after the command, or with `dryRun` the events it would record. */
const EscrowResponse = {
  200: S.SuspenseResolution,
  202: S.CommandAccepted,
  ...commonErrors,
};

type SuspenseRequest = FastifyRequest<{ Params: { suspenseId: string }; Body: Record<string, unknown> }>;

/**
 * Money in suspense (issue 10 §5), for admins: the list, and the two ways out — an audited refund to the buyer
 * through the rail, or applying it to its escrow. Each answers the escrow after the command (idempotent by key), or
 * with `dryRun` the events it would record (decided as the command would be, recorded nowhere).
 */
export function suspenseRoutes(app: Api, deps: RouteDeps): void {
  const { queries } = deps.deps;
  const kit = escrowRouteKit(app, deps);
  const admin = deps.authenticate(['admin']);

  app.get(
    '/admin/suspense',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Money in suspense: payments that fund nothing, newest first, with the open total per currency',
        querystring: S.SuspenseListQuery,
        response: { 200: S.SuspenseList, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await queries.suspense(
        kit.actorOf(request),
        filter,
        limit ? Number(limit) : PAGE_SIZE.default,
        cursor ?? null,
      );
      return jsonSafe(page) as never;
    },
  );
  suspenseActions(app, deps, kit, admin);
}

/**
 * Resolves the item's escrow (404 when there is none), then runs the command on it with the request's key — or with
 * `dryRun` decides it without recording anything (no key, no audit).
 */
function itemCommand(deps: RouteDeps, { actorOf, submit }: EscrowRouteKit) {
  const { queries, commands, clock } = deps.deps;
  type Of = (request: SuspenseRequest) => SuspenseCommand;
  return (commandOf: Of) => async (request: FastifyRequest, reply: FastifyReply) => {
    const r = request as SuspenseRequest;
    const actor = actorOf(request);
    const escrowId = await queries.escrowOfSuspense(actor, r.params.suspenseId);
    if (!escrowId) throw new HttpError(404, 'SUSPENSE_NOT_FOUND', `no suspense item ${r.params.suspenseId}`);
    const command = commandOf(r);
    if (r.body.dryRun === true)
      return jsonSafe(await dryRunSuspense({ queries, clock }, actor, escrowId, command)) as never;
    const { type, ...payload } = command;
    return submit(request, reply, 200, (opts: KeyedOptions): Promise<HandledCommand> =>
      commands.execute(type, escrowId, actor, payload, opts),
    );
  };
}

/** Refund and apply: each resolves the item's escrow, then runs the command on it. */
function suspenseActions(
  app: Api,
  deps: RouteDeps,
  kit: EscrowRouteKit,
  admin: ReturnType<RouteDeps['authenticate']>,
): void {
  const onItem = itemCommand(deps, kit);

  app.post(
    '/admin/suspense/:suspenseId/refund',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Refund money in suspense to the buyer through the rail (admin, reason required, audited)',
        params: S.SuspenseParams,
        headers: S.IdempotencyHeaders,
        body: S.SuspenseRefundRequest,
        response: EscrowResponse,
      },
    },
    onItem((r) => ({ type: 'RefundSuspense', suspenseId: r.params.suspenseId, reason: r.body.reason as string })),
  );

  app.post(
    '/admin/suspense/:suspenseId/apply',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Apply money in suspense to its escrow: funds it when the items make up what is due (admin, audited)',
        description:
          'The escrow must still await funds, and the item (with alsoApply: other open items of the escrow) must ' +
          'add up to exactly amount + buyer fee in its currency; otherwise 409 or 400 and nothing changes.',
        params: S.SuspenseParams,
        headers: S.IdempotencyHeaders,
        body: S.SuspenseApplyRequest,
        response: EscrowResponse,
      },
    },
    onItem((r) => ({
      type: 'ApplySuspense',
      suspenseIds: [r.params.suspenseId, ...((r.body.alsoApply as string[] | undefined) ?? [])],
      reason: r.body.reason as string,
    })),
  );
}
