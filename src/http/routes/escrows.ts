import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { isRecordedRefusal, type HandledCommand } from '../../app/commandHandler.js';
import type { Include } from '../../app/escrowQueries.js';
import type { CreateEscrowInput } from '../../app/escrowService.js';
import { DomainError, type Actor, type Escrow } from '../../domain/index.js';
import type { Api, RouteDeps } from '../types.js';
import { IdempotencyGate, type KeyedOptions, type Rejection } from '../idempotency.js';
import { HttpError, PROBLEM_CONTENT_TYPE, domainProblem } from '../problem.js';
import * as S from '../schemas.js';
import { detailsView, escrowView, jsonSafe } from '../views.js';

const commonErrors = S.problems(400, 401, 403, 404, 409, 422, 429);
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Per-user fixed window: 50 escrow requests a minute (SPEC §5), keyed by the verified token subject. Counters live
 * in Redis when configured (limits hold across replicas), in this process otherwise.
 */
class UserRateLimit {
  private window = 0;
  private counts = new Map<string, number>();
  constructor(
    private readonly perMinute: number,
    private readonly redis: Redis | undefined,
  ) {}

  async check(userId: string): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    let n: number;
    if (this.redis) {
      const key = `escrow-rl-user:${userId}:${window}`;
      const res = await this.redis.multi().incr(key).pexpire(key, 61_000).exec();
      n = Number(res?.[0]?.[1] ?? 0);
    } else {
      if (window !== this.window) {
        this.window = window;
        this.counts = new Map();
      }
      n = (this.counts.get(userId) ?? 0) + 1;
      this.counts.set(userId, n);
    }
    if (n > this.perMinute) {
      const retry = Math.ceil(((window + 1) * 60_000 - now) / 1000);
      throw new HttpError(429, 'RATE_LIMITED', `at most ${this.perMinute} escrow requests per minute per user`, {
        'retry-after': String(retry),
      });
    }
  }
}

export function escrowRoutes(app: Api, deps: RouteDeps): void {
  const { commands: service, queries, clock } = deps.deps;
  const gate = new IdempotencyGate(
    deps.opts.idempotency,
    () => clock.now(),
    (err, msg) => app.log.warn({ err }, msg),
  );
  const limiter = new UserRateLimit(deps.opts.rateLimit.perUserPerMinute, deps.opts.redis);
  const auth = deps.authenticate();
  const authed = async (request: FastifyRequest) => {
    await auth(request);
    await limiter.check(request.principal!.id);
  };
  const actorOf = (request: FastifyRequest): Actor => ({ id: request.principal!.id, role: request.principal!.role });

  /** Domain rejections are decisions: a keyed request's 4xx is stored and replayed. A version conflict is not. */
  const storable = (err: unknown, instance: string): Rejection | null => {
    // A version conflict is worth a retry; "the key belongs to another request" is not this request's answer to keep
    // (it would shadow the first request's own outcome, e.g. after a takeover of a dead request's claim).
    if (!(err instanceof DomainError) || err.code === 'VERSION_CONFLICT' || err.code === 'IDEMPOTENCY_KEY_REUSED') {
      return null;
    }
    const p = domainProblem(err, instance);
    return {
      status: p.status,
      contentType: PROBLEM_CONTENT_TYPE,
      body: JSON.stringify(p),
      replayed: isRecordedRefusal(err),
    };
  };

  /** Runs a command with the request's idempotency key and answers with the escrow. */
  async function submit(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    run: (opts: KeyedOptions) => Promise<HandledCommand>,
    shape: (e: Escrow) => unknown = escrowView,
  ) {
    const opts = gate.options(request, request.principal!.id);
    const answer = await gate.run(
      opts,
      async () => {
        const handled = await run(opts);
        // Serialised here, with the route's response schema, so a replay sends these exact bytes.
        reply.code(status);
        return {
          status,
          contentType: JSON_CONTENT_TYPE,
          body: reply.serialize(shape(await queries.asOfCommand(handled))) as string,
          replayed: handled.duplicate,
        };
      },
      storable,
      request.url,
    );
    if (answer.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  }

  const EscrowResponse = { 200: S.EscrowView, 202: S.CommandAccepted, ...commonErrors };
  const tags = ['escrows'];
  const idParams = { params: S.EscrowParams, headers: S.IdempotencyHeaders };

  app.post(
    '/escrow',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Open an escrow for an accepted offer',
        body: S.CreateEscrowBody,
        headers: S.IdempotencyHeaders,
        response: { 201: S.EscrowView, 202: S.CommandAccepted, ...commonErrors },
      },
    },
    (request, reply) =>
      submit(request, reply, 201, (opts) => service.create(actorOf(request), request.body as CreateEscrowInput, opts)),
  );

  app.get(
    '/escrow',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'List escrows (parties see their own)',
        querystring: S.ListQuery,
        response: { 200: S.EscrowList, ...commonErrors },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      const page = await queries.list(actorOf(request), filter, limit ? Number(limit) : 20, cursor ?? null);
      return { data: page.data.map(escrowView), nextCursor: page.nextCursor } as never;
    },
  );

  app.get(
    '/escrow/:id',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'One escrow with deliveries, disputes, settlements; include=events,ledger,audit',
        params: S.EscrowParams,
        querystring: S.GetQuery,
        response: { 200: S.EscrowDetailsView, ...commonErrors },
      },
    },
    async (request) => {
      const include = (request.query.include?.split(',') ?? []) as Include[];
      return detailsView(await queries.get(actorOf(request), request.params.id, include)) as never;
    },
  );

  const action = <B extends Parameters<typeof Type.Object>[0]>(
    path: string,
    summary: string,
    body: ReturnType<typeof Type.Object<B>> | typeof S.EmptyBody,
    run: (
      request: FastifyRequest<{ Params: { id: string } & Record<string, string>; Body: Record<string, never> }>,
      actor: Actor,
      opts: KeyedOptions,
    ) => Promise<HandledCommand>,
    params: typeof S.EscrowParams | typeof S.DisputeParams | typeof S.SettlementParams = S.EscrowParams,
  ) =>
    app.post(
      path,
      { onRequest: authed, schema: { tags, summary, ...idParams, params, body, response: EscrowResponse } },
      (request, reply) => submit(request, reply, 200, (opts) => run(request as never, actorOf(request), opts)),
    );

  action('/escrow/:id/cancel', 'Cancel an escrow awaiting funds (buyer, seller, admin)', S.CancelBody, (r, a, o) =>
    service.execute('CancelEscrow', r.params.id, a, r.body, o),
  );
  action(
    '/escrow/:id/confirm-payment',
    'Confirm a payment manually (admin, audited)',
    S.ConfirmPaymentBody,
    (r, a, o) => service.execute('ConfirmPayment', r.params.id, a, r.body as never, o),
  );
  action('/escrow/:id/mark-delivered', 'Record the delivery (seller, admin)', S.MarkDeliveredBody, (r, a, o) =>
    service.execute('MarkDelivered', r.params.id, a, r.body as never, o),
  );
  action('/escrow/:id/confirm-delivery', 'Confirm delivery and release the funds (buyer)', S.EmptyBody, (r, a, o) =>
    service.execute('ConfirmDelivery', r.params.id, a, {}, o),
  );
  action('/escrow/:id/release', 'Release a delivered escrow (admin)', S.ReleaseBody, (r, a, o) =>
    service.execute('ReleaseEscrow', r.params.id, a, r.body, o),
  );
  action('/escrow/:id/refund', 'Refund in full or in part (admin; seller in full)', S.RefundBody, (r, a, o) =>
    service.execute('RefundEscrow', r.params.id, a, r.body as never, o),
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
    'Resolve a dispute: RELEASE, REFUND or SPLIT (admin)',
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
  );
  action(
    '/escrow/:id/settlements/:settlementId/retry',
    'Retry a FAILED settlement (admin)',
    S.EmptyBody,
    (r, a, o) => service.execute('RetrySettlement', r.params.id, a, { settlementId: r.params.settlementId! }, o),
    S.SettlementParams,
  );

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
        (opts) => service.execute('OpenDispute', request.params.id, actorOf(request), request.body, opts),
        (e) => jsonSafe(e.disputes.at(-1)),
      ),
  );

  app.get(
    '/commands/:commandId',
    {
      onRequest: deps.authenticate(),
      schema: {
        tags: ['commands'],
        summary: 'A command’s outcome: SUCCEEDED, FAILED (refused) or PENDING (its submitter, admin)',
        params: Type.Object({ commandId: S.Uuid }, { additionalProperties: false }),
        response: { 200: S.CommandView, ...commonErrors },
      },
    },
    async (request) => {
      const status = await queries.commandStatus(actorOf(request), request.params.commandId);
      if (!status) throw new HttpError(404, 'COMMAND_NOT_FOUND', `command ${request.params.commandId} not found`);
      return status as never;
    },
  );
}
