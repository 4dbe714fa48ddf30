import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

/**
 * Sellers' payout accounts per rail (SPEC §6), registered by the marketplace (`service`) or an admin, checked at the
 * provider before they are stored; and, for admins, the settlements parked waiting for one or for the provider.
 */
export function payoutAccountRoutes(app: Api, deps: RouteDeps): void {
  const { payoutAccounts } = deps.deps;
  const marketplace = deps.authenticate(['service', 'admin']);

  app.put(
    '/sellers/:sellerId/payout-accounts/:rail',
    {
      onRequest: marketplace,
      schema: {
        tags: ['payout accounts'],
        summary: "Register or replace a seller's payout account on a rail (checked at the provider first)",
        description:
          'A release for a seller without an account on its rail waits (GET /api/admin/settlements/waiting) and is ' +
          'paid as soon as one is registered here. An account the provider refuses is 422 PAYOUT_ACCOUNT_REJECTED; ' +
          'a provider that cannot answer is 503 PROVIDER_UNAVAILABLE. Audited with the caller and reason.',
        params: S.PayoutAccountParams,
        body: S.PayoutAccountBody,
        response: { 200: S.PayoutAccountRegistration, ...S.problems(400, 401, 403, 422, 429, 502, 503) },
      },
    },
    async (request) => {
      const p = request.principal!;
      return payoutAccounts.register({ id: p.id, role: p.role }, { ...request.params, ...request.body });
    },
  );

  app.get(
    '/sellers/:sellerId/payout-accounts',
    {
      onRequest: marketplace,
      schema: {
        tags: ['payout accounts'],
        summary: "A seller's payout accounts, one per rail",
        params: S.SellerParams,
        response: { 200: S.PayoutAccountList, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => ({ items: await payoutAccounts.list(request.params.sellerId) }),
  );

  app.get(
    '/admin/settlements/waiting',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: ['admin'],
        summary: 'Settlements parked: payouts waiting for a payout account, or submitted and waiting for the provider',
        querystring: S.WaitingSettlementsQuery,
        response: { 200: S.WaitingSettlementList, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => ({
      items: await payoutAccounts.waiting(Number(request.query.limit ?? 100), request.query.waitingFor),
    }),
  );
}
