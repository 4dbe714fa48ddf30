import { Type } from 'typebox';
import type { Api, RouteDeps } from '../app.js';
import * as S from '../schemas.js';

export function adminRoutes(app: Api, deps: RouteDeps): void {
  app.post(
    '/admin/process-timeouts',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: ['admin'],
        summary: 'Apply due payment and confirmation deadlines now (same commands as the timeouts role)',
        body: Type.Optional(S.TimeoutsBody),
        response: {
          200: Type.Object({
            expired: Type.Integer(),
            deliveryTimeouts: Type.Integer(),
            skipped: Type.Integer(),
            due: Type.Array(Type.Object({ kind: Type.String(), escrowId: Type.String(), deadline: Type.String() })),
          }),
        },
      },
    },
    (request) => deps.engine.timeouts.runOnce({ dryRun: request.body?.dryRun ?? false }) as never,
  );
}
