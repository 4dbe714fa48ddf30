import type { FastifyRequest } from 'fastify';
import type { ActionPreview, ApprovalOutcome, ApprovalService } from '../../app/approvals.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  ActionDryRunBody,
  ActionDryRunView,
  ApprovalList,
  ApprovalOutcomeView,
  ApprovalParams,
  ApprovalQuery,
  DecisionBody,
} from '../schemas/approvals.js';
import { escrowView, jsonSafe } from '../views.js';

const tags = ['admin'];
const errors = S.problems(400, 401, 403, 404, 409, 422, 429);

const actorOf = (request: FastifyRequest) => ({ id: request.principal!.id, role: request.principal!.role });

/** What approve and reject answer (HTTP and the CLI alike): JSON, the escrow as the escrow routes show it. */
export function approvalOutcomeView(o: ApprovalOutcome): Record<string, unknown> {
  return {
    dryRun: o.dryRun,
    approval: o.approval,
    ...(o.escrow ? { escrow: escrowView(o.escrow) } : {}),
    ...(o.events ? { events: jsonSafe(o.events) } : {}),
    ...(o.replayed ? { replayed: true } : {}),
  };
}

export const actionPreviewView = (p: ActionPreview) => jsonSafe(p) as Record<string, unknown>;

/**
 * Dual control for admins (SPEC §8, seed 003): the proposals an admin's large release, refund or resolution left
 * (their route answered 202 PENDING_APPROVAL), approved or rejected by a second admin with a reason (audited, with a
 * dry run); and the dry run of an admin action (`escrow release|refund|resolve|cancel|confirm-payment --dry-run`).
 */
export function approvalRoutes(app: Api, deps: RouteDeps): void {
  const approvals = deps.deps.approvals;
  if (!approvals) return;
  const admin = deps.authenticate(['admin']);

  app.get(
    '/admin/approvals',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Proposed admin actions awaiting (or past) a second admin, newest first (escrow approvals list)',
        querystring: ApprovalQuery,
        response: { 200: ApprovalList, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { status, limit } = request.query;
      const items = await approvals.list(actorOf(request), {
        ...(status ? { status } : {}),
        ...(limit === undefined ? {} : { limit: Number(limit) }),
      });
      return { items };
    },
  );

  app.post(
    '/admin/approvals/:id/approve',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: "Approve another admin's proposal: its command runs now, as you (audited; dry run)",
        description:
          'The proposer may not approve (403 SELF_APPROVAL); past ADMIN_APPROVAL_TTL_HOURS it is 409 APPROVAL_EXPIRED. ' +
          'The command runs through the normal command path with an id derived from the proposal, so a retried or ' +
          'concurrent approve applies it once (an approved one answers as is, `replayed`). Refused by the escrow as it ' +
          'is now (its state changed): the proposal is FAILED and the refusal is the answer.',
        params: ApprovalParams,
        body: DecisionBody,
        response: { 200: ApprovalOutcomeView, ...errors },
      },
    },
    async (request) =>
      approvalOutcomeView(await approvals.approve(actorOf(request), request.params.id, request.body)) as never,
  );

  app.post(
    '/admin/approvals/:id/reject',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Reject a proposal (its proposer may: a withdrawal); nothing is applied (audited; dry run)',
        params: ApprovalParams,
        body: DecisionBody,
        response: { 200: ApprovalOutcomeView, ...errors },
      },
    },
    async (request) =>
      approvalOutcomeView(await approvals.reject(actorOf(request), request.params.id, request.body)) as never,
  );

  actionDryRunRoute(app, approvals, admin);
}

/** The dry run of an admin action (`escrow release|refund|... --dry-run` through the server). */
function actionDryRunRoute(app: Api, approvals: ApprovalService, admin: (request: FastifyRequest) => Promise<void>) {
  app.post(
    '/admin/actions/dry-run',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'What an admin action would record now, and whether it would wait for a second admin',
        description: 'Changes nothing. A command the escrow would refuse answers that refusal.',
        body: ActionDryRunBody,
        response: { 200: ActionDryRunView, ...errors },
      },
    },
    async (request) => {
      const { command, escrowId, payload } = request.body;
      const preview = await approvals.preview(actorOf(request), command, escrowId, payload);
      return actionPreviewView(preview) as never;
    },
  );
}
