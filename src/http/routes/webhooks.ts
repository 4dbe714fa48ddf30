import { Type } from 'typebox';
import type { WebhookOutcome } from '../../app/ports/index.js';
import { inputRefused, rawBodyProblem } from '../bodyParser.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

/** The answer to a provider (and to the sandbox's pay button): received, and what became of it. */
export const webhookAck = (out: Exclude<WebhookOutcome, { status: 'failed' }>) => ({
  received: true,
  status: out.status,
  ...(out.status === 'processed' ? { outcome: out.outcome } : {}),
});

/**
 * Provider webhooks in — one route per enabled rail — and the sandbox's "the buyer pays" button. No bearer token: the
 * signature is the auth. Registered in a context of their own whose body parser keeps the raw text unparsed: the
 * rail verifies the signature over those bytes and parses them once.
 */
export function webhookRoutes(app: Api, { deps }: RouteDeps, done: (err?: Error) => void): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'string' }, (req, body, next) => {
    // The edge's rules hold here too (a NUL in a transaction id failed its whole commit batch); the bytes stay as sent.
    const problem = rawBodyProblem(body as string);
    if (problem) return next(inputRefused(problem), undefined);
    req.rawBody = body as string;
    next(null, body);
  });

  const providers = deps.rails.map((r) => r.provider);
  app.post(
    '/webhooks/:provider',
    {
      // Providers retry what is refused: the per-IP limit would only delay payments (the signature is the guard).
      config: { rateLimit: false },
      schema: {
        tags: ['webhooks'],
        summary: 'Provider webhook (signature over the raw body)',
        description:
          `Enabled providers: ${providers.join(', ') || 'none'}. Another provider is 404 PROVIDER_NOT_ENABLED. ` +
          'Text that cannot be stored (NUL, an unpaired surrogate) is 400 naming the field; an event about a ' +
          'settlement id that is not one of ours is acknowledged with outcome UNMATCHED (stored, never retried).',
        security: [],
        params: Type.Object({ provider: Type.String({ minLength: 1, examples: providers }) }),
        response: { 200: S.WebhookAck, ...S.problems(400, 404, 422) },
      },
    },
    async (request, reply) => {
      const provider = request.params.provider;
      // Checked before anything is counted: metric labels stay the enabled providers, never what a caller typed.
      if (!providers.includes(provider)) {
        throw new HttpError(
          404,
          'PROVIDER_NOT_ENABLED',
          `webhook provider ${provider} is not enabled (enabled: ${providers.join(', ') || 'none'})`,
        );
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
      );
      // Counted by the intake, whoever calls it (this route, the sandbox's pay button, the CLI).
      const out = await deps.webhooks.receive(provider, request.rawBody ?? '', headers);
      // Stored unprocessed; a non-2xx makes the provider retry.
      if (out.status === 'failed') throw new HttpError(422, 'WEBHOOK_NOT_PROCESSED', out.error);
      // Acknowledged (a retry could never match) and stored as unmatched: operators see it in the log and the table.
      if (out.status === 'processed' && out.outcome === 'UNMATCHED') {
        request.log.warn({ provider, outcome: out.outcome }, 'webhook matched nothing: acknowledged, stored unmatched');
      }
      return reply.send(webhookAck(out));
    },
  );

  done();
}
