import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { HandledCommand } from '../../app/ports/index.js';
import type { Actor } from '../../domain/index.js';
import type { KeyedOptions } from '../idempotency.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { jsonSafe } from '../views.js';
import { commonErrors, type EscrowRouteKit } from './escrowRouteKit.js';
import { filesOf } from './marketplace.js';
import { PendingApprovalView } from '../schemas/approvals.js';

const EscrowResponse = { 200: S.EscrowView, 202: S.CommandAccepted, ...commonErrors };
/** The admin actions that move money: above ADMIN_APPROVAL_THRESHOLD an admin's is a proposal (202, dual control). */
const HeldResponse = { ...EscrowResponse, 202: PendingApprovalView };
const tags = ['escrows'];
const idParams = { params: S.EscrowParams, headers: S.IdempotencyHeaders };

/** Every command on an existing escrow: one POST each, answering the escrow after it (the dispute: the dispute). */
type ActionRequest = FastifyRequest<{ Params: { id: string } & Record<string, string>; Body: Record<string, never> }>;

/** Declares `POST path`: the command `run` returns, answered with the escrow after it (idempotent by key). */
function actionRoute(app: Api, { authed, actorOf, submit }: EscrowRouteKit) {
  return <B extends Parameters<typeof Type.Object>[0]>(
    path: string,
    summary: string,
    body: ReturnType<typeof Type.Object<B>> | typeof S.EmptyBody,
    run: (request: ActionRequest, actor: Actor, opts: KeyedOptions) => Promise<HandledCommand>,
    params: typeof S.EscrowParams | typeof S.DisputeParams | typeof S.SettlementParams = S.EscrowParams,
    response: typeof EscrowResponse | typeof HeldResponse = EscrowResponse,
  ) =>
    app.post(
      path,
      { onRequest: authed, schema: { tags, summary, ...idParams, params, body, response } },
      (request, reply) => submit(request, reply, 200, (opts) => run(request as never, actorOf(request), opts)),
    );
}

export function escrowActionRoutes(app: Api, deps: RouteDeps, kit: EscrowRouteKit): void {
  const service = deps.deps.commands;
  const action = actionRoute(app, kit);

  action('/escrow/:id/cancel', 'Cancel an escrow awaiting funds (buyer, seller, admin)', S.CancelBody, (r, a, o) =>
    service.execute('CancelEscrow', r.params.id, a, r.body, o),
  );
  action(
    '/escrow/:id/confirm-payment',
    'Confirm a payment manually with the amount received (admin, audited; a mismatch is booked to suspense)',
    S.ConfirmPaymentBody,
    (r, a, o) => service.execute('ConfirmPayment', r.params.id, a, r.body as never, o),
  );
  action('/escrow/:id/mark-delivered', 'Record the delivery (seller, admin)', S.MarkDeliveredBody, async (r, a, o) => {
    const { fileIds: _ids, ...body } = r.body as { fileIds?: string[] };
    const files = await filesOf(deps.deps, a, r.params.id, r.body);
    return service.execute('MarkDelivered', r.params.id, a, { ...(body as { title: string }), ...files }, o);
  });
  action('/escrow/:id/confirm-delivery', 'Confirm delivery and release the funds (buyer)', S.EmptyBody, (r, a, o) =>
    service.execute('ConfirmDelivery', r.params.id, a, {}, o),
  );
  action(
    '/escrow/:id/release',
    'Release a delivered escrow (admin; above ADMIN_APPROVAL_THRESHOLD: 202, a second admin approves)',
    S.ReleaseBody,
    (r, a, o) => service.execute('ReleaseEscrow', r.params.id, a, r.body, o),
    S.EscrowParams,
    HeldResponse,
  );
  action(
    '/escrow/:id/refund',
    'Refund in full or in part (admin; seller in full; an admin above ADMIN_APPROVAL_THRESHOLD: 202, dual control)',
    S.RefundBody,
    (r, a, o) => service.execute('RefundEscrow', r.params.id, a, r.body as never, o),
    S.EscrowParams,
    HeldResponse,
  );
  action(
    '/escrow/:id/dispute/:disputeId/review',
    'Take a dispute into review (admin)',
    S.EmptyBody,
    (r, a, o) => service.execute('StartDisputeReview', r.params.id, a, { disputeId: r.params.disputeId! }, o),
    S.DisputeParams,
  );
  action(
    '/escrow/:id/dispute/:disputeId/resolve',
    'Resolve a dispute: RELEASE, REFUND or SPLIT (admin; above ADMIN_APPROVAL_THRESHOLD: 202, dual control)',
    S.ResolveBody,
    (r, a, o) =>
      service.execute(
        'ResolveDispute',
        r.params.id,
        a,
        { ...(r.body as object), disputeId: r.params.disputeId! } as never,
        o,
      ),
    S.DisputeParams,
    HeldResponse,
  );
  action(
    '/escrow/:id/settlements/:settlementId/retry',
    'Retry a FAILED settlement (admin)',
    S.EmptyBody,
    (r, a, o) => service.execute('RetrySettlement', r.params.id, a, { settlementId: r.params.settlementId! }, o),
    S.SettlementParams,
  );
  action(
    '/escrow/:id/clear-flag',
    'Clear the review flag, with a reason (admin, audited)',
    S.ClearFlagBody,
    (r, a, o) => service.execute('ClearReviewFlag', r.params.id, a, r.body as never, o),
  );
  disputeRoute(app, deps, kit);
}

/** Opening a dispute answers the dispute (201). */
function disputeRoute(app: Api, deps: RouteDeps, { authed, actorOf, submit }: EscrowRouteKit): void {
  const service = deps.deps.commands;
  app.post(
    '/escrow/:id/dispute',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Open a dispute (buyer, seller)',
        ...idParams,
        body: S.DisputeBody,
        response: { 201: S.DisputeView, 202: S.CommandAccepted, ...commonErrors },
      },
    },
    (request, reply) =>
      submit(
        request,
        reply,
        201,
        async (opts) => {
          const actor = actorOf(request);
          const { fileIds: _ids, ...body } = request.body;
          const files = await filesOf(deps.deps, actor, request.params.id, request.body);
          return service.execute('OpenDispute', request.params.id, actor, { ...body, ...files }, opts);
        },
        (e) => jsonSafe(e.disputes.at(-1)),
      ),
  );
}
