import { Type } from 'typebox';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { webhookAck } from './webhooks.js';

/** The sandbox rail's "the buyer pays" button, when that rail is enabled: a signed webhook through the webhook path. */
export function sandboxRoutes(app: Api, { deps }: RouteDeps): void {
  const simulator = deps.simulator;
  if (simulator) {
    app.post(
      '/sandbox/payments/:reference/:outcome',
      {
        schema: {
          tags: ['sandbox'],
          summary: 'Simulate the buyer paying (delivers a signed sandbox webhook through the webhook path)',
          security: [],
          params: Type.Object(
            {
              reference: Type.String({ pattern: '^sbx_[0-9a-f]{32}$' }),
              outcome: Type.Union([Type.Literal('succeed'), Type.Literal('fail')]),
            },
            { additionalProperties: false },
          ),
          response: { 200: S.WebhookAck, ...S.problems(400, 404, 422, 429) },
        },
      },
      async (request) => {
        const r = await simulator.pay(request.params.reference, { outcome: request.params.outcome });
        if (r.outcome.status === 'failed') throw new HttpError(422, 'WEBHOOK_NOT_PROCESSED', r.outcome.error);
        return webhookAck(r.outcome);
      },
    );
  }
}
