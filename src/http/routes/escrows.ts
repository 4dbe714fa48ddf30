import type { Include } from '../../app/escrowQueries.js';
import { DomainError, PAGE_SIZE } from '../../domain/index.js';
import type { Principal } from '../auth.js';
import type { CreateEscrowInput } from '../../app/escrowService.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { detailsView, escrowView } from '../views.js';
import { escrowActionRoutes } from './escrowActions.js';
import { marketplaceRoutes } from './marketplace.js';
import { commonErrors, escrowRouteKit } from './escrowRouteKit.js';

const tags = ['escrows'];

/** Open, list and read escrows; the commands on an escrow are in escrowActions.ts. */
export function escrowRoutes(app: Api, deps: RouteDeps): void {
  const { commands: service, queries } = deps.deps;
  const kit = escrowRouteKit(app, deps);
  const { authed, actorOf, submit } = kit;

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
      submit(request, reply, 201, (opts) =>
        service.create(actorOf(request), createInput(request.body as CreateBody, request.principal!), opts),
      ),
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

  escrowActionRoutes(app, deps, kit);
  marketplaceRoutes(app, deps, kit);
}

type CreateBody = CreateEscrowInput & { buyerKycTier?: number; sellerKycTier?: number };

/**
 * The create command with the parties' KYC tiers: a user vouches for their own (the token's kyc_tier), a service or
 * admin caller for both (buyerKycTier / sellerKycTier in the body); a user may not set them.
 */
function createInput(body: CreateBody, caller: Principal): CreateEscrowInput {
  const { buyerKycTier, sellerKycTier, ...input } = body;
  if (caller.role === 'user') {
    if (buyerKycTier !== undefined || sellerKycTier !== undefined) {
      throw new DomainError('FORBIDDEN', "only service or admin callers may state the parties' KYC tiers");
    }
    const own = caller.id === input.buyerId ? 'buyer' : caller.id === input.sellerId ? 'seller' : null;
    return own ? { ...input, kyc: { [own]: caller.kycTier } } : input;
  }
  const kyc = {
    ...(buyerKycTier !== undefined ? { buyer: buyerKycTier } : {}),
    ...(sellerKycTier !== undefined ? { seller: sellerKycTier } : {}),
  };
  return Object.keys(kyc).length > 0 ? { ...input, kyc } : input;
}
