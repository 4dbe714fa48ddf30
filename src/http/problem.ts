import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode, type FieldError } from '../domain/index.js';
import { WebhookPayloadError, WebhookSignatureError } from '../app/ports/index.js';
import { CommandPending } from '../app/remoteCommands.js';
import { DatabaseUnavailableError } from '../app/ports/databaseUnavailable.js';

/** HTTP-level errors that are not domain decisions. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

const STATUS: Record<DomainErrorCode, number> = {
  VALIDATION_ERROR: 400,
  INVALID_AMOUNT: 400,
  CURRENCY_NOT_SUPPORTED: 422,
  REFUND_EXCEEDS_HELD: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  ESCROW_NOT_FOUND: 404,
  DISPUTE_NOT_FOUND: 404,
  SETTLEMENT_NOT_FOUND: 404,
  FORBIDDEN: 403,
  INVALID_STATE_TRANSITION: 409,
  DEADLINE_NOT_REACHED: 409,
  VERSION_CONFLICT: 409,
  OFFER_ALREADY_IN_ESCROW: 409,
  ESCROW_ALREADY_EXISTS: 409,
  DISPUTE_ALREADY_OPEN: 409,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  414: 'URI Too Long',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  errors?: FieldError[];
  currentStatus?: string;
}

export function problem(status: number, code: string, detail: string, instance: string, extra: Partial<Problem> = {}) {
  return {
    type: `https://escrow-services.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance,
    code,
    ...extra,
  } satisfies Problem;
}

/** The problem a domain rejection is answered with. */
export function domainProblem(err: DomainError, instance: string): Problem {
  return problem(STATUS[err.code] ?? 400, err.code, err.message, instance, {
    ...(err.details.errors ? { errors: err.details.errors } : {}),
    ...(err.details.currentStatus ? { currentStatus: err.details.currentStatus } : {}),
  });
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** The one error handler: domain codes and framework errors become problem+json; anything else is a logged 500. */
export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const send = (p: Problem, headers: Record<string, string> = {}) =>
    reply.code(p.status).headers(headers).type('application/problem+json').send(p);
  const instance = request.url;
  if (err instanceof DomainError) return send(domainProblem(err, instance));
  if (err instanceof CommandPending) {
    return reply
      .code(202)
      .header('location', `/api/commands/${err.commandId}`)
      .send({ commandId: err.commandId, status: 'PENDING' });
  }
  if (err instanceof HttpError) {
    return send(
      problem(err.status, err.code, err.message, instance, err.errors ? { errors: err.errors } : {}),
      err.headers,
    );
  }
  if (err instanceof DatabaseUnavailableError) {
    // Logged once per outage by the engine, not per request; the client retries (issue 10 §3).
    return send(problem(503, 'DATABASE_UNAVAILABLE', `${err.message}; retry later`, instance), { 'retry-after': '5' });
  }
  if (err instanceof WebhookSignatureError) {
    return send(problem(400, 'INVALID_SIGNATURE', err.message, instance));
  }
  if (err instanceof WebhookPayloadError) {
    return send(problem(400, 'INVALID_WEBHOOK_PAYLOAD', err.message, instance));
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fe.validation.map((v) => ({
      field: fieldOf(v.instancePath, v.params, fe.validationContext),
      message: v.message ?? 'is invalid',
    }));
    return send(problem(400, 'VALIDATION_ERROR', 'the request does not match the schema', instance, { errors }));
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'PAYLOAD_TOO_LARGE'
        : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : fe.statusCode === 429
            ? 'RATE_LIMITED'
            : 'BAD_REQUEST';
    return send(problem(fe.statusCode, code, fe.message, instance));
  }
  request.log.error({ err }, 'unhandled error');
  return send(
    problem(500, 'INTERNAL_ERROR', 'an unexpected error occurred; it was logged with the request id', instance),
  );
}

function fieldOf(path: string, params: Record<string, unknown>, context: string | undefined): string {
  const base = path.replace(/^\//, '').replace(/\//g, '.');
  const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  const field = [base, extra].filter(Boolean).join('.');
  return field || context || 'body';
}
