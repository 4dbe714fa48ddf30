import { Type } from 'typebox';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import { commonErrors } from './escrowRouteKit.js';

/** A command's outcome (Kafka mode answers 202 with its Location). */
export function commandRoutes(app: Api, deps: RouteDeps): void {
  const queries = deps.deps.queries;
  app.get(
    '/commands/:commandId',
    {
      onRequest: deps.authenticate(),
      schema: {
        tags: ['commands'],
        summary: 'A command’s outcome: SUCCEEDED, FAILED (refused) or PENDING (its submitter, admin)',
        params: Type.Object({ commandId: S.Uuid }, { additionalProperties: false }),
        response: { 200: S.CommandView, ...commonErrors },
      },
    },
    async (request) => {
      const status = await queries.commandStatus(request.principal!, request.params.commandId);
      if (!status) throw new HttpError(404, 'COMMAND_NOT_FOUND', `command ${request.params.commandId} not found`);
      return status as never;
    },
  );
}
