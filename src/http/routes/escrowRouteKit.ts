import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRecordedRefusal } from '../../app/commandHandler.js';
import type { HandledCommand } from '../../app/ports/index.js';
import { DomainError, type Actor, type Escrow } from '../../domain/index.js';
import { IdempotencyGate, type KeyedOptions, type Rejection } from '../idempotency.js';
import { PROBLEM_CONTENT_TYPE, domainProblem } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { escrowView } from '../views.js';
import { RATE_LIMIT_EXCEEDED, UserRateLimit } from './userRateLimit.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The problems every escrow route may answer. */
export const commonErrors = S.problems(400, 401, 403, 404, 409, 422, 429);

/** What every escrow route shares: authentication with the per-user limit (people only), the caller as an actor, keyed submits. */
export function escrowRouteKit(app: Api, deps: RouteDeps) {
  const { queries, clock } = deps.deps;
  const gate = new IdempotencyGate(
    deps.opts.idempotency,
    () => clock.now(),
    (err, msg) => app.log.warn({ err }, msg),
  );
  const limiter = new UserRateLimit(deps.opts.rateLimit.perUserPerMinute, deps.opts.redis);
  const auth = deps.authenticate();
  const authed = async (request: FastifyRequest) => {
    await auth(request);
    const caller = request.principal!;
    await limiter.check(caller, (perMinute) =>
      request.log.warn({ bucket: 'user', caller: caller.id, limit_per_minute: perMinute }, RATE_LIMIT_EXCEEDED),
    );
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

  /** The request's idempotency options (its key as the command id) for routes whose answer must never be stored. */
  const keyed = (request: FastifyRequest): KeyedOptions => gate.options(request, request.principal!.id);

  return { authed, actorOf, submit, keyed };
}

export type EscrowRouteKit = ReturnType<typeof escrowRouteKit>;
