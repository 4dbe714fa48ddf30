import { setTimeout as sleep } from 'node:timers/promises';

/** A provider call that failed: its HTTP status (0 when no answer came) and whether trying again may succeed. */
export class RailHttpError extends Error {
  override readonly name = 'RailHttpError';
  constructor(
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

export interface RailHttpClientOptions {
  /** e.g. https://api.paystack.co */
  baseUrl: string;
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
        const e = err instanceof RailHttpError ? err : new RailHttpError(String(err), 0, true);
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
      throw new RailHttpError(`${req.method} ${url.pathname}: ${errorText(err)}`, 0, true);
    }
    const text = await res.text();
    const body = parseJson(text);
    if (res.ok) return body as T;
    const retryAfter = res.headers.get('retry-after');
    const error = new RailHttpError(
      `${req.method} ${url.pathname} answered ${res.status}`,
      res.status,
      RETRYABLE_STATUS.has(res.status),
      body,
    );
    if (retryAfter) (error as RailHttpError & { retryAfterMs?: number }).retryAfterMs = retryAfterMs(retryAfter);
    throw error;
  }

  private delay(attempt: number, err: RailHttpError & { retryAfterMs?: number }): number {
    if (err.retryAfterMs !== undefined) return Math.min(err.retryAfterMs, 60_000);
    return Math.floor(this.o.random() * Math.min(30_000, this.o.baseDelayMs * 2 ** attempt));
  }
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
