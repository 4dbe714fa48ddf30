import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { RevocationList, RevocationsQuery, RevokeBody, RevokeView } from '../schemas/tokens.js';

const tags = ['admin'];

/**
 * Token revocation for admins (issue 13 item 4, seed 004): one token by its jti, or every token of a subject issued
 * before now, refused (401 TOKEN_REVOKED) on every replica within TOKEN_REVOCATION_MAX_AGE_MS (2 s; typically
 * milliseconds, by NOTIFY). Audited with the admin and the reason; `dryRun` stores nothing.
 */
export function tokenRoutes(app: Api, deps: RouteDeps): void {
  const tokens = deps.deps.tokens;
  if (!tokens) return;
  const admin = deps.authenticate(['admin']);

  app.post(
    '/admin/tokens/revoke',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Revoke one token (jti) or every token of a subject issued before now (audited; dry run)',
        description:
          'Exactly one of jti and subject. The token is refused with 401 TOKEN_REVOKED on every replica within 2 s ' +
          '(typically milliseconds). A subject revocation refuses its tokens issued before now (and those without ' +
          'iat); tokens minted after it work. Revoking a token id again keeps the first revocation (revoked: false).',
        body: RevokeBody,
        response: { 200: RevokeView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => tokens.revoke({ id: request.principal!.id, role: request.principal!.role }, request.body),
  );

  app.get(
    '/admin/tokens/revocations',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'The token revocations, newest first (escrow tokens list)',
        querystring: RevocationsQuery,
        response: { 200: RevocationList, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => tokens.list(request.query.limit === undefined ? undefined : Number(request.query.limit)),
  );
}
