import { isProblem } from './errors.js';

/** How the client retries what the service asks it to retry. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0: never retry). */
  max?: number;
  /** The first backoff without Retry-After (default 250 ms); doubled per retry, with jitter. */
  baseDelayMs?: number;
  /** The longest wait between two attempts, a Retry-After included (default 30 s). */
  maxDelayMs?: number;
  /** How the client waits (default: a timer the request's AbortSignal cuts short). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told before each retry: for logs and metrics. */
  onRetry?: (retry: RetryEvent) => void;
}

/** One retry about to happen. */
export interface RetryEvent {
  method: string;
  url: string;
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  /** `HTTP 429`, `HTTP 503`, `IDEMPOTENCY_KEY_IN_FLIGHT`, or the network error's message. */
  reason: string;
  /** The Idempotency-Key every attempt carries, if any. */
  idempotencyKey: string | null;
}

type Fetch = (input: Request) => Promise<Response>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Retry-After as milliseconds from `now`: delta seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // an HTTP date starts with the day's name (IMF-fixdate, RFC 850, asctime); Date.parse alone takes "-5" for a year
  const at = /^[A-Za-z]{3}/.test(v) ? Date.parse(v) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Exponential backoff with jitter: between half and all of base·2^(retry-1), capped. */
export function backoffMs(retry: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Why a response is worth another attempt, or null: 429 and 503 (the service says nothing was done and when to come
 * back), and 409 IDEMPOTENCY_KEY_IN_FLIGHT (the same key's first request is still running on another replica).
 */
async function retryReason(response: Response): Promise<string | null> {
  if (response.status === 429 || response.status === 503) return `HTTP ${response.status}`;
  if (response.status !== 409 || !/problem\+json/i.test(response.headers.get('content-type') ?? '')) return null;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => null);
  return isProblem(body) && body.code === 'IDEMPOTENCY_KEY_IN_FLIGHT' ? body.code : null;
}

/** A timer that ends early (rejecting) when the request is aborted. */
function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `base` with retries. Every attempt sends a copy of the same request — the same headers, so the same
 * Idempotency-Key, and the same body. A network error is retried only when a repeat cannot do something twice: a
 * safe method, or a request with an Idempotency-Key (the service answers a repeated key with the first outcome).
 */
export function retryingFetch(base: Fetch, options: RetryOptions = {}): Fetch {
  const max = options.max ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  return async (request) => {
    const idempotencyKey = request.headers.get('idempotency-key');
    const networkRetryable = SAFE_METHODS.has(request.method) || idempotencyKey !== null;
    for (let retry = 1; ; retry++) {
      let reason: string | null;
      let delayMs: number;
      try {
        const response = await base(request.clone());
        reason = retry > max ? null : await retryReason(response);
        if (reason === null) return response;
        const asked = retryAfterMs(response.headers.get('retry-after'), Date.now());
        delayMs = Math.min(asked ?? backoffMs(retry, baseDelayMs, maxDelayMs), maxDelayMs);
        await response.body?.cancel();
      } catch (err) {
        if (retry > max || !networkRetryable || request.signal.aborted) throw err;
        reason = err instanceof Error ? err.message : String(err);
        delayMs = backoffMs(retry, baseDelayMs, maxDelayMs);
      }
      options.onRetry?.({ method: request.method, url: request.url, retry, delayMs, reason, idempotencyKey });
      await sleep(delayMs, request.signal);
    }
  };
}
