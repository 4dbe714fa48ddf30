import type { FastifyRequest } from 'fastify';
import type { BlacklistService } from '../../app/blacklist.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  BlacklistAddBody,
  BlacklistChangeView,
  BlacklistEntryParams,
  BlacklistListQuery,
  BlacklistPageView,
  BlacklistRemoveBody,
} from '../schemas/blacklist.js';

/** What these routes need of HttpDeps. */
export interface BlacklistRouteDeps {
  blacklist: Pick<BlacklistService, 'add' | 'remove' | 'list'>;
}

type BlacklistDeps = Omit<RouteDeps, 'deps'> & { deps: BlacklistRouteDeps };

const tags = ['admin'];

const actorOf = (request: FastifyRequest) => ({ id: request.principal!.id, role: request.principal!.role });

/**
 * The blacklist for admins (SPEC §6, seed 003 RB-04): user ids and wallet addresses barred from new escrows and
 * whose payments are refunded. Adding and removing are audited with the admin and the reason, and have a dry run;
 * removing keeps the entry (the history). Removal is a POST action, as every other change in this API (no DELETE
 * bodies, which some clients and proxies drop).
 */
export function blacklistRoutes(app: Api, deps: BlacklistDeps): void {
  const { blacklist } = deps.deps;
  const admin = deps.authenticate(['admin']);

  app.get(
    '/admin/blacklist',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Blacklist entries, newest first (escrow blacklist list)',
        querystring: BlacklistListQuery,
        response: { 200: BlacklistPageView, ...S.problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const { kind, active, limit, cursor } = request.query;
      return blacklist.list({
        ...(kind ? { kind } : {}),
        ...(active ? { active: active === 'true' } : {}),
        ...(limit ? { limit: Number(limit) } : {}),
        cursor: cursor ?? null,
      });
    },
  );

  app.post(
    '/admin/blacklist',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Blacklist a user id or a wallet address (audited; {"dryRun": true} stores nothing)',
        description:
          'From then on an escrow naming the user as buyer or seller is refused, and a payment from the wallet takes ' +
          'the refund path. A (kind, value) that already has an entry in force is 409 BLACKLIST_ENTRY_EXISTS naming ' +
          'it. 201 with the entry; a dry run answers 200 with the entry it would add.',
        body: BlacklistAddBody,
        response: { 200: BlacklistChangeView, 201: BlacklistChangeView, ...S.problems(400, 401, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const change = await blacklist.add(actorOf(request), request.body);
      return reply.code(change.dryRun ? 200 : 201).send(change);
    },
  );

  app.post(
    '/admin/blacklist/:entryId/remove',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Remove a blacklist entry (kept in the history, audited; {"dryRun": true} changes nothing)',
        description:
          'An unknown entry, or one already removed, is 404 BLACKLIST_ENTRY_NOT_FOUND. An expired entry can be ' +
          'removed too (it no longer applies either way).',
        params: BlacklistEntryParams,
        body: BlacklistRemoveBody,
        response: { 200: BlacklistChangeView, ...S.problems(400, 401, 403, 404, 429) },
      },
    },
    (request) => blacklist.remove(actorOf(request), { id: request.params.entryId, ...request.body }),
  );
}
