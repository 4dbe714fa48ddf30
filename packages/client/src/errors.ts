/** One field the service refused, in words a person can act on (`amount: must be minor units as a digit string`). */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An RFC 9457 problem as the service sends it (`application/problem+json`): `code` is stable and meant for programs
 * (`INVALID_STATE_TRANSITION`, `ESCROW_NOT_FOUND`, `IDEMPOTENCY_KEY_REUSED`, `RATE_LIMITED`, …), `detail` for people.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  /** VALIDATION_ERROR: every field to fix. */
  errors?: FieldError[];
  /** INVALID_STATE_TRANSITION: the state the escrow is in. */
  currentStatus?: string;
  [extension: string]: unknown;
}

/** Is `body` a problem document (the fields every problem of the service has)? */
export function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const p = body as Record<string, unknown>;
  return typeof p.code === 'string' && typeof p.status === 'number' && typeof p.title === 'string';
}

/** A response the service refused (any non-2xx), with its problem when the body is one. */
export class EscrowApiError extends Error {
  override readonly name = 'EscrowApiError';
  /** The problem's `code`, or `HTTP_<status>` when the body is not a problem (a proxy's error page, say). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** The request id the service logged the request under (`x-request-id`): what its operators ask for. */
  readonly requestId: string | null;

  constructor(
    readonly status: number,
    readonly problem: Problem | null,
    readonly response?: Response,
  ) {
    const code = problem?.code ?? `HTTP_${status}`;
    const title = problem?.title ?? (response?.statusText || 'Error');
    const detail = problem?.detail ?? '';
    super(`${status} ${code}${detail ? `: ${detail}` : ''}`);
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.requestId = response?.headers.get('x-request-id') ?? null;
  }

  /** The error for a refused response and its parsed body (openapi-fetch's `error`). */
  static from(response: Response, body: unknown): EscrowApiError {
    return new EscrowApiError(response.status, isProblem(body) ? body : null, response);
  }
}

/** What an openapi-fetch call resolves to: `data` on success, `error` (the parsed body) otherwise. */
export interface FetchResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** The data of a call's successful responses. */
export type SuccessData<R extends FetchResult> = Extract<R, { error?: never }>['data'];

/** A 202's body: the command is queued (Kafka mode) or is a proposal waiting for a second admin (dual control). */
export interface Accepted {
  status: 'PENDING' | 'PENDING_APPROVAL';
}

/** A 202 where `applied` expected the change made: nothing is refused, but nothing is applied yet either. */
export class EscrowPendingError extends Error {
  override readonly name = 'EscrowPendingError';
  /** Where to follow it: GET /api/commands/{commandId}, or the approval (/api/admin/approvals/{id}). */
  readonly location: string | null;

  constructor(
    readonly status: Accepted['status'],
    readonly body: unknown,
    readonly response: Response,
  ) {
    const location = response.headers.get('location');
    super(`202 ${status}: not applied yet${location ? `; follow ${location}` : ''}`);
    this.location = location;
  }
}

/** The data of a successful call; a refused one throws EscrowApiError (network errors reject as they are). */
export async function unwrap<R extends FetchResult>(call: Promise<R>): Promise<SuccessData<R>> {
  const result = await call;
  if (!result.response.ok || result.error !== undefined) throw EscrowApiError.from(result.response, result.error);
  return result.data;
}

/**
 * The data of a change made now: as `unwrap`, and a 202 — queued in Kafka mode, or waiting for a second admin's
 * approval — throws EscrowPendingError (embedded and PostgreSQL modes apply a party's command before answering).
 */
export async function applied<R extends FetchResult>(call: Promise<R>): Promise<Exclude<SuccessData<R>, Accepted>> {
  const result = await call;
  const data: unknown = await unwrap(Promise.resolve(result));
  if (result.response.status !== 202) return data as Exclude<SuccessData<R>, Accepted>;
  const status = (data as Partial<Accepted> | undefined)?.status;
  throw new EscrowPendingError(status === 'PENDING_APPROVAL' ? status : 'PENDING', data, result.response);
}
