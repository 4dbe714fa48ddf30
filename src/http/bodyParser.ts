import type { FastifyRequest } from 'fastify';
import { JSON_MAX_DEPTH, jsonProblem, type JsonProblem } from '../domain/index.js';
import { HttpError } from './problem.js';
import type { Api } from './types.js';

// Input the engine cannot take is refused at the edge, once for every route, before a handler, a hash or a batch
// sees it: text PostgreSQL cannot store (NUL, an unpaired surrogate: one such command used to fail every command
// committed with it) and nesting deep enough to overflow a recursive walk (JSON.stringify, the request hash).

/** The 400 for a value that breaks one of these rules, naming its field (`metadata.note: must not contain …`). */
export const inputRefused = (p: JsonProblem): HttpError =>
  new HttpError(400, 'VALIDATION_ERROR', `${p.field}: ${p.message}`, {}, [p]);

/**
 * JSON bodies, parsed here so that a malformed body is a problem+json 400, then walked (keys and values, without
 * recursion) under the rules above. The webhook route has a raw parser of its own (see `rawBodyProblem`).
 */
export function addBodyParsers(app: Api): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/*+json'], { parseAs: 'string' }, (_req, body, done) => {
    const raw = body as string;
    if (raw.length === 0) return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw) as unknown;
    } catch {
      return done(new HttpError(400, 'INVALID_JSON', 'the body is not valid JSON'), undefined);
    }
    const problem = jsonProblem(parsed, { maxDepth: JSON_MAX_DEPTH });
    if (problem) return done(inputRefused(problem), undefined);
    done(null, parsed);
  });
}

/**
 * The same rules for a body kept raw (a provider's webhook, whose signature covers the bytes): its problem, or null
 * when it has none or is not JSON at all (the rail says so, once the signature holds).
 */
export function rawBodyProblem(raw: string): JsonProblem | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
  return jsonProblem(parsed, { maxDepth: JSON_MAX_DEPTH });
}

/**
 * A preValidation hook: query string values and path parameters under the same rules (a `%00` in `?buyerId=`
 * reached a query as a NUL byte), named as the caller wrote them.
 */
export function refuseUnstorableParams(request: FastifyRequest): Promise<void> {
  const problem =
    jsonProblem(request.params ?? {}, { maxDepth: JSON_MAX_DEPTH }) ??
    jsonProblem(request.query ?? {}, { maxDepth: JSON_MAX_DEPTH });
  return problem ? Promise.reject(inputRefused(problem)) : Promise.resolve();
}
