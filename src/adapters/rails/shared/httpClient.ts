import { setTimeout as sleep } from 'node:timers/promises';
import { RailError } from '../../../app/ports/index.js';

/**
 * A provider call that failed: its HTTP status (0 when no answer came), whether trying again may succeed, the
 * provider's error code and request id when it gave them, and the body it answered.
 */
export class RailHttpError extends RailError {
  override readonly name = 'RailHttpError';
  constructor(
    message: string,
    readonly status: number,
    retryable: boolean,
    readonly body: unknown = null,
    extra: { provider?: string; code?: string | null; requestId?: string | null } = {},
  ) {
    super(message, {
      provider: extra.provider ?? 'provider',
      status,
      retryable,
      code: extra.code ?? null,
      requestId: extra.requestId ?? null,
    });
  }
}

export interface RailHttpClientOptions {
  /** The provider's name in errors (e.g. paystack). */
  provider?: string;
  /** e.g. https://api.paystack.co */
  baseUrl: string;
  /** Where the provider puts its request id (tried in order); operators quote it to the provider's support. */
  requestIdHeaders?: string[];
  /** The provider's own error code in an error body (default: `code`, `error.code` or `error` when a string). */
  errorCode?: (body: unknown) => string | null;
  /** Sent with every request (authorization, API version). */
  headers?: Record<string, string>;
  /** The header carrying the idempotency key (Stripe and most providers: Idempotency-Key). */
  idempotencyHeader?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Attempts after the first, for calls that are safe to repeat. */
  retries?: number;
  /** First backoff; doubles per attempt, with full jitter, capped at 30 s (a Retry-After answer wins). */
  baseDelayMs?: number;
  /** Injected in tests. */
  fetch?: typeof fetch;
  wait?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface RailRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /**
   * Makes a POST safe to repeat: the provider applies one request per key, so it is retried after a timeout or a
   * 5xx; a POST without one is sent once (it may have been applied even when no answer came).
   */
  idempotencyKey?: string;
}

const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504]);

/**
 * The HTTP client of rails without an official SDK: JSON in and out, a timeout per attempt, and retries with backoff
 * only where a repeat cannot move money twice (GET, DELETE, PUT, or a POST with an idempotency key).
 */
export class RailHttpClient {
  private readonly o: Required<Omit<RailHttpClientOptions, 'headers'>> & { headers: Record<string, string> };

  constructor(options: RailHttpClientOptions) {
    this.o = {
      provider: new URL(options.baseUrl).hostname,
      requestIdHeaders: ['request-id', 'x-request-id'],
      errorCode: defaultErrorCode,
      headers: {},
      idempotencyHeader: 'Idempotency-Key',
      timeoutMs: 10_000,
      retries: 3,
      baseDelayMs: 200,
      fetch: globalThis.fetch.bind(globalThis),
      wait: (ms) => sleep(ms),
      random: Math.random,
      ...options,
    };
  }

  /** The parsed JSON body of a 2xx answer; throws RailHttpError otherwise. */
  async request<T = unknown>(req: RailRequest): Promise<T> {
    const repeatable = req.method !== 'POST' || req.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(req);
      } catch (err) {
        const e =
          err instanceof RailHttpError
            ? err
            : new RailHttpError(String(err), 0, true, null, { provider: this.o.provider });
        if (!repeatable || !e.retryable || attempt >= this.o.retries) throw e;
        await this.o.wait(this.delay(attempt, e));
      }
    }
  }

  private async once<T>(req: RailRequest): Promise<T> {
    const url = new URL(req.path, this.o.baseUrl);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json', ...this.o.headers };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (req.idempotencyKey !== undefined) headers[this.o.idempotencyHeader] = req.idempotencyKey;
    let res: Response;
    try {
      res = await this.o.fetch(url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const what = `${this.o.provider}: ${req.method} ${url.pathname}: ${errorText(err)}`;
      throw new RailHttpError(what, 0, true, null, { provider: this.o.provider });
    }
    const text = await res.text();
    const body = parseJson(text);
    if (res.ok) return body as T;
    const retryAfter = res.headers.get('retry-after');
    const requestId = this.o.requestIdHeaders.map((h) => res.headers.get(h)).find((v) => v) ?? null;
    const code = this.o.errorCode(body);
    const said = providerMessage(body);
    const error = new RailHttpError(
      `${this.o.provider}: ${req.method} ${url.pathname} answered ${res.status}` +
        (code ? ` ${code}` : '') +
        (said ? `: ${said}` : '') +
        (requestId ? ` (request id ${requestId})` : ''),
      res.status,
      RETRYABLE_STATUS.has(res.status),
      body,
      { provider: this.o.provider, code, requestId },
    );
    if (retryAfter) (error as RailHttpError & { retryAfterMs?: number }).retryAfterMs = retryAfterMs(retryAfter);
    throw error;
  }

  private delay(attempt: number, err: RailHttpError & { retryAfterMs?: number }): number {
    if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs, 60_000);
    return Math.floor(this.o.random() * Math.min(30_000, this.o.baseDelayMs * 2 ** attempt));
  }
}

function defaultErrorCode(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { code?: unknown; error?: unknown };
  if (typeof b.code === 'string') return b.code;
  if (b.error && typeof b.error === 'object' && typeof (b.error as { code?: unknown }).code === 'string') {
    return (b.error as { code: string }).code;
  }
  return typeof b.error === 'string' ? b.error : null;
}

/** The provider's human message, shortened (never the whole body: it may echo what was sent). */
function providerMessage(body: unknown): string | null {
  if (typeof body === 'string') return body.slice(0, 200) || null;
  if (!body || typeof body !== 'object') return null;
  const b = body as { message?: unknown; error?: { message?: unknown } };
  const m = typeof b.message === 'string' ? b.message : typeof b.error?.message === 'string' ? b.error.message : null;
  return m ? m.slice(0, 200) : null;
}

const errorText = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

function parseJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(value: string): number {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}
