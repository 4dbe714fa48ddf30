import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorCode, type FieldError } from '../domain/index.js';
import { RailError, WebhookPayloadError, WebhookSignatureError } from '../app/ports/index.js';
import { CommandPending } from '../app/remoteCommands.js';
import { ApprovalRequired } from '../app/approvals.js';
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
  AMOUNT_OUTSIDE_RAIL_LIMITS: 422,
  PAYOUT_ACCOUNT_REJECTED: 422,
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
  MILESTONE_NOT_FOUND: 404,
  FEATURE_DISABLED: 422,
  KYC_REQUIRED: 403,
  BLACKLISTED: 403,
  BLACKLIST_ENTRY_EXISTS: 409,
  BLACKLIST_ENTRY_NOT_FOUND: 404,
  VAULT_EMPTY: 404,
  VAULT_LOCKED: 409,
  VAULT_UNAVAILABLE: 503,
  FILE_NOT_FOUND: 404,
  FILE_TOO_LARGE: 413,
  FILE_TYPE_NOT_ALLOWED: 415,
  FILE_NOT_UPLOADED: 409,
  APPROVAL_NOT_FOUND: 404,
  SELF_APPROVAL: 403,
  APPROVAL_EXPIRED: 409,
  APPROVAL_ALREADY_DECIDED: 409,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_URL_REFUSED: 422,
  WEBHOOK_MESSAGE_NOT_FOUND: 404,
  WEBHOOK_MESSAGE_PENDING: 409,
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
  if (err instanceof ApprovalRequired) {
    // dual control: nothing applied, a proposal waits for a second admin (sent as is: the route's 202 documents it)
    const body = JSON.stringify({ approval: err.approval, status: 'PENDING_APPROVAL' });
    return reply
      .code(202)
      .header('location', `/api/admin/approvals/${err.approval.id}`)
      .type('application/json')
      .send(body);
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
  if (err instanceof RailError) {
    // The provider's own words reach the caller and the log: its code and request id are what its support asks for.
    request.log.warn(
      {
        provider: err.details.provider,
        status: err.details.status,
        code: err.details.code,
        provider_request_id: err.details.requestId,
      },
      'provider call failed',
    );
    return err.retryable
      ? send(problem(503, 'PROVIDER_UNAVAILABLE', `${err.message}; nothing was changed, retry later`, instance), {
          'retry-after': '10',
        })
      : send(problem(502, 'PROVIDER_REFUSED', `${err.message}; nothing was changed`, instance));
  }
  if (err instanceof WebhookSignatureError) {
    return send(problem(400, 'INVALID_SIGNATURE', err.message, instance));
  }
  if (err instanceof WebhookPayloadError) {
    return send(problem(400, 'INVALID_WEBHOOK_PAYLOAD', err.message, instance));
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fieldErrors(fe.validation, fe.validationContext);
    return send(problem(400, 'VALIDATION_ERROR', summary(errors), instance, { errors }));
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

// Schema errors (ajv, verbose) in words a person can act on. Schemas may say it themselves: `x-message` replaces any
// failure of that schema, `x-required` names what a missing property is needed for (src/http/schemas/common.ts).

interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}

/** One line per field: every missing property, one "must be one of" per enumeration, the schema's own wording. */
export function fieldErrors(validation: readonly SchemaError[], context: string | undefined): FieldError[] {
  const out = new Map<string, FieldError>();
  const add = (field: string, message: string) => out.set(`${field}\u0000${message}`, { field, message });
  const unions = validation.filter((v) => v.keyword === 'anyOf' || v.keyword === 'oneOf');
  for (const v of validation) {
    const union = unions.find((u) => u !== v && v.schemaPath.startsWith(`${u.schemaPath}/`));
    if (union && choices(union, validation)) continue; // said once, by the union
    const base = fieldOf(v.instancePath, {}, context);
    if (v.keyword === 'required') {
      for (const [name, message] of missing(v))
        add(fieldOf(v.instancePath, { missingProperty: name }, context), message);
    } else if (v.keyword === 'additionalProperties') {
      const known = Object.keys((v.parentSchema?.properties as object | undefined) ?? {});
      add(
        fieldOf(v.instancePath, v.params, context),
        `is not a field here${known.length ? ` (known: ${known.join(', ')})` : ''}`,
      );
    } else if (v.keyword === 'anyOf' || v.keyword === 'oneOf') {
      const values = choices(v, validation);
      if (values) add(base, ownMessage(v) ?? `must be one of: ${values.join(', ')}`);
      else if (ownMessage(v)) add(base, ownMessage(v)!);
    } else if (v.keyword === 'discriminator') {
      const tag = String(v.params.tag);
      const field = fieldOf(v.instancePath, { missingProperty: tag }, context);
      add(
        field,
        v.params.error === 'tag' && !hasProperty(v.data, tag)
          ? 'is required'
          : `must be one of: ${tagValues(v, tag).join(', ')}`,
      );
    } else add(base, ownMessage(v) ?? v.message ?? 'is invalid');
  }
  return [...out.values()];
}

/** The detail of a validation problem: its lines, the first ten, as the domain words its own (`field: message`). */
function summary(errors: readonly FieldError[]): string {
  const lines = errors.slice(0, 10).map((e) => `${e.field}: ${e.message}`);
  if (errors.length > 10) lines.push(`and ${errors.length - 10} more`);
  return lines.length > 0 ? lines.join('; ') : 'the request does not match the schema';
}

const ownMessage = (v: SchemaError): string | undefined => {
  const m = v.parentSchema?.['x-message'];
  return typeof m === 'string' ? m : undefined;
};

const hasProperty = (data: unknown, name: string): boolean =>
  typeof data === 'object' && data !== null && Object.prototype.hasOwnProperty.call(data, name);

/** Every required property the object lacks (ajv stops at the first), each with the schema's reason if it gives one. */
function missing(v: SchemaError): [string, string][] {
  const required = Array.isArray(v.parentSchema?.required) ? (v.parentSchema.required as string[]) : [];
  const reasons = (v.parentSchema?.['x-required'] ?? {}) as Record<string, string>;
  const names = required.filter((name) => !hasProperty(v.data, name));
  if (names.length === 0) names.push(String(v.params.missingProperty));
  return names.map((name) => [name, reasons[name] ?? 'is required']);
}

/** The allowed values when a union failed only because its value is none of its constants (an enumeration). */
function choices(union: SchemaError, all: readonly SchemaError[]): string[] | null {
  const branches = all.filter((v) => v !== union && v.schemaPath.startsWith(`${union.schemaPath}/`));
  if (branches.length === 0) return null;
  const values: string[] = [];
  for (const b of branches) {
    if (b.keyword === 'const') values.push(String(b.params.allowedValue));
    else if (b.keyword === 'enum') values.push(...(b.params.allowedValues as unknown[]).map(String));
    else return null;
  }
  return [...new Set(values)];
}

/** The values a discriminated union's tag may take (each branch names its own). */
function tagValues(v: SchemaError, tag: string): string[] {
  const branches = (v.parentSchema?.oneOf ?? []) as {
    properties?: Record<string, { const?: unknown; enum?: unknown[] }>;
  }[];
  return branches.flatMap((b) => {
    const p = b.properties?.[tag];
    return p?.enum ? p.enum.map(String) : p && 'const' in p ? [String(p.const)] : [];
  });
}

function fieldOf(path: string, params: Record<string, unknown>, context: string | undefined): string {
  const base = path.replace(/^\//, '').replace(/\//g, '.');
  const extra = (params.additionalProperty ?? params.missingProperty) as string | undefined;
  const field = [base, extra].filter(Boolean).join('.');
  return field || context || 'body';
}
