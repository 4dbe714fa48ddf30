import type { FastifyRequest } from 'fastify';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { PauseBody, PauseChangeView, PauseQuery, PauseReportView, ResumeBody } from '../schemas/pause.js';

const tags = ['admin'];

const actorOf = (request: FastifyRequest) => ({ id: request.principal!.id, role: request.principal!.role });

/**
 * The emergency pause for admins (SPEC §8, seed 003 RB-05): stored in the database and in force on every replica and
 * role within PAUSE_MAX_AGE_MS (2 s; typically milliseconds, by NOTIFY). Pausing and resuming are audited with the
 * admin and the reason and have a dry run; a pause is lifted, never deleted (the history).
 */
export function pauseRoutes(app: Api, deps: RouteDeps): void {
  const pause = deps.deps.operations.pause;
  if (!pause) return;
  const admin = deps.authenticate(['admin']);

  app.get(
    '/admin/pause',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'The pauses in force and the latest ones, newest first (escrow pause status)',
        querystring: PauseQuery,
        response: { 200: PauseReportView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => pause.report(request.query.limit === undefined ? undefined : Number(request.query.limit)),
  );

  app.post(
    '/admin/pause',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Pause payouts, intake or all, on every replica (audited; {"dryRun": true} changes nothing)',
        description:
          'intake: new escrows and user changes answer 503 PAUSED with Retry-After (reads, admins and provider ' +
          'webhooks go on); payouts: the settlements role claims nothing and the timeouts role holds confirmation ' +
          'deadlines (auto-release, auto-refund); payment deadlines still expire unpaid escrows. In force everywhere ' +
          'within 2 s (typically milliseconds). A scope already paused keeps its pause (`changed` leaves it out).',
        body: PauseBody,
        response: { 200: PauseChangeView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => pause.pause(actorOf(request), request.body),
  );

  app.post(
    '/admin/resume',
    {
      onRequest: admin,
      schema: {
        tags,
        summary: 'Lift the pause of a scope (default all): held payouts go out at once (audited; dry run)',
        description:
          'The pause stays in the history with who lifted it and why. Nothing paused: 200 with `changed` empty.',
        body: ResumeBody,
        response: { 200: PauseChangeView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => pause.resume(actorOf(request), request.body),
  );
}
