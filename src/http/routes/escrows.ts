import type { Include } from '../../app/escrowQueries.js';
import { PAGE_SIZE } from '../../domain/index.js';
import type { CreateEscrowInput } from '../../app/escrowService.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { detailsView, escrowView } from '../views.js';
import { escrowActionRoutes } from './escrowActions.js';
import { commonErrors, escrowRouteKit } from './escrowRouteKit.js';

const tags = ['escrows'];

/** Open, list and read escrows; the commands on an escrow are in escrowActions.ts. */
export function escrowRoutes(app: Api, deps: RouteDeps): void {
  const { commands: service, queries } = deps.deps;
  const { authed, actorOf, submit } = escrowRouteKit(app, deps);

  app.post(
    '/escrow',
    {
      onRequest: authed,
      schema: {
        tags,
        summary: 'Open an escrow for an accepted offer',
        body: S.createEscrowBodyFor(deps.deps.rails.map((r) => r.rail)),
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
        summary: 'List escrows (parties see their own); flagged=true: the review queue (admin)',
        querystring: S.ListQuery,
        response: { 200: S.EscrowList, ...commonErrors },
      },
    },
    async (request) => {
      const { limit, cursor, flagged, ...filter } = request.query;
      const page = await queries.list(
        actorOf(request),
        { ...filter, ...(flagged === undefined ? {} : { flagged: flagged === 'true' }) },
        limit ? Number(limit) : PAGE_SIZE.default,
        cursor ?? null,
      );
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

  escrowActionRoutes(app, deps, { authed, actorOf, submit });
}
