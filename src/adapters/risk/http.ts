import { RiskScreeningUnavailable } from '../../app/ports/index.js';

export interface RiskHttpOptions {
  /** The screener's name in errors (chainalysis, trm). */
  name: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * One call to a screening API, JSON in and out. No retries here: a screener that does not answer now leaves the
 * deposit waiting (RiskScreeningUnavailable), and the next attempt screens again. Any answer but a 2xx is an outage
 * to the engine (bad credentials, rate limits and refusals included): a deposit is never funded unscreened.
 */
export async function callScreener<T>(
  o: RiskHttpOptions,
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown },
): Promise<T> {
  const doFetch = o.fetch ?? globalThis.fetch.bind(globalThis);
  let res: Response;
  let text: string;
  try {
    res = await doFetch(url, {
      method: init.method,
      headers: {
        accept: 'application/json',
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new RiskScreeningUnavailable(`${o.name}: ${init.method} ${url.pathname}: ${why}`);
  }
  if (!res.ok) {
    const requestId = res.headers.get('x-request-id') ?? res.headers.get('request-id');
    throw new RiskScreeningUnavailable(
      `${o.name}: ${init.method} ${url.pathname} answered ${res.status}` +
        (res.status === 401 || res.status === 403 ? ' (check the API key)' : '') +
        (requestId ? ` (request id ${requestId})` : ''),
    );
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RiskScreeningUnavailable(`${o.name}: ${init.method} ${url.pathname} answered something that is not JSON`);
  }
}
