import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

export function adminRoutes(app: Api, deps: RouteDeps): void {
  app.post(
    '/admin/process-timeouts',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: ['admin'],
        summary: 'Apply due payment and confirmation deadlines now (same commands as the timeouts role)',
        description: 'Body optional: {"dryRun": true} lists what is due without applying it.',
        headers: S.IdempotencyHeaders,
        response: { 200: S.TimeoutsSummary, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      // The body is optional, so it is checked here rather than by a (required) body schema.
      const body: unknown = request.body;
      const ok =
        body === undefined ||
        (typeof body === 'object' &&
          body !== null &&
          !Array.isArray(body) &&
          Object.keys(body).every((k) => k === 'dryRun') &&
          ['boolean', 'undefined'].includes(typeof (body as { dryRun?: unknown }).dryRun));
      if (!ok) {
        throw new HttpError(400, 'VALIDATION_ERROR', 'the body may only be {"dryRun": true|false}', {}, [
          { field: 'dryRun', message: 'must be a boolean; no other fields' },
        ]);
      }
      return deps.deps.timeouts.runOnce({ dryRun: (body as { dryRun?: boolean } | undefined)?.dryRun ?? false });
    },
  );
}
