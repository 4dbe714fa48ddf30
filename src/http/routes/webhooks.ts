import { Type } from 'typebox';
import { DomainError } from '../../domain/index.js';
import type { Api, RouteDeps } from '../app.js';
import { HttpError } from '../problem.js';
import * as S from '../schemas.js';

/** Provider webhooks in, and the sandbox's "the buyer pays" button. No bearer token: the signature is the auth. */
export function webhookRoutes(app: Api, { engine }: RouteDeps): void {
  app.post(
    '/webhooks/:provider',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Provider webhook (signature over the raw body)',
        security: [],
        params: Type.Object({
          provider: Type.Union(['stripe', 'custodian', 'paystack', 'sandbox'].map((p) => Type.Literal(p))),
        }),
        response: { 200: S.WebhookAck },
      },
    },
    async (request, reply) => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
      );
      const provider = request.params.provider;
      const out = await engine.webhooks.receive(provider, request.rawBody ?? '', headers).catch((err: unknown) => {
        engine.metrics.webhookEvents.inc({ provider, outcome: 'rejected' });
        if (err instanceof DomainError && err.code === 'VALIDATION_ERROR') {
          throw new HttpError(404, 'PROVIDER_NOT_ENABLED', err.message);
        }
        throw err;
      });
      engine.metrics.webhookEvents.inc({ provider, outcome: out.status });
      if (out.status === 'failed') {
        // Stored unprocessed; a non-2xx makes the provider retry.
        throw new HttpError(422, 'WEBHOOK_NOT_PROCESSED', out.error);
      }
      return reply.send({
        received: true,
        status: out.status,
        ...(out.status === 'processed' ? { outcome: out.outcome } : {}),
      });
    },
  );

  if (!engine.config.sandbox.enabled) return;
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
      const r = await engine.simulator.pay(request.params.reference, { outcome: request.params.outcome });
      if (r.outcome.status === 'failed') throw new HttpError(422, 'WEBHOOK_NOT_PROCESSED', r.outcome.error);
      return {
        received: true,
        status: r.outcome.status,
        ...(r.outcome.status === 'processed' ? { outcome: r.outcome.outcome } : {}),
      };
    },
  );
}
