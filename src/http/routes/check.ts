import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { DailyCheckView } from '../schemas/check.js';
import { jsonSafe } from '../views.js';

/** The daily review checklist of seeds 000 and 003 (admin): the same run as `escrow check`. Reads only. */
export function checkRoutes(app: Api, deps: RouteDeps): void {
  const operations = deps.deps.operations;
  app.get(
    '/admin/check',
    {
      onRequest: deps.authenticate(['admin']),
      schema: {
        tags: ['admin'],
        summary: 'The daily checklist: each item a pass, warning or failure with the command to run next',
        description:
          'Health, ledger (escrow verify), outbox backlog and age, Kafka lag, database connections, escrows stuck ' +
          'in AWAIT_FUNDS or DELIVERED for more than 7 days, the timeout processor, failed settlements, overdue ' +
          'disputes, unapplied provider webhooks, suspense, the pause; and the last 24 h per currency. Always 200: ' +
          '`ok` is false when an item failed. The ledger check reads every escrow: run it daily, not per minute.',
        response: { 200: DailyCheckView, ...S.problems(401, 403, 429) },
      },
    },
    async () => jsonSafe(await operations.dailyCheck()) as never,
  );
}
