import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { applied, unwrap } from './errors.js';
import { retryingFetch, type RetryOptions } from './retry.js';
import type { paths } from './schema.js';

export interface EscrowClientOptions {
  /** Where the service listens, e.g. `https://escrow.example.com` (the paths start with /api). */
  baseUrl: string;
  /** A bearer token (JWT: `sub`, `role` user | service | admin). */
  token?: string;
  /** Asked for the bearer token before each request, for tokens that are refreshed. */
  getToken?: () => string | Promise<string>;
  /** The fetch to send with (default: globalThis.fetch). */
  fetch?: (input: Request) => Promise<Response>;
  /** Retries of 409 IDEMPOTENCY_KEY_IN_FLIGHT, 429, 503 and network errors; `false`: none. */
  retries?: RetryOptions | false;
  /** The Idempotency-Key of a POST that has none (default: crypto.randomUUID()). */
  idempotencyKeys?: () => string;
}

/** openapi-fetch's client over the service's paths, with `unwrap` and `applied` to have data or an error thrown. */
export type EscrowClient = Client<paths> & {
  /** The data of a successful call; a refused one throws EscrowApiError. */
  unwrap: typeof unwrap;
  /** As `unwrap`, and a 202 (queued, or waiting for approval) throws EscrowPendingError. */
  applied: typeof applied;
};

/**
 * A typed client of the Escrow Services API. Every POST carries an Idempotency-Key (yours, when you pass one in
 * `headers`), the same on each of its retries, so a retried create or command has one effect. Errors are
 * problem+json: `error` in the `{ data, error }` result, or an EscrowApiError from `unwrap` / `applied`.
 */
export function createEscrowClient(options: EscrowClientOptions): EscrowClient {
  const base = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const fetch = options.retries === false ? base : retryingFetch(base, options.retries);
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch });
  client.use(authorization(options), idempotencyKeys(options.idempotencyKeys ?? (() => crypto.randomUUID())));
  return Object.assign(client, { unwrap, applied });
}

/** `Authorization: Bearer …` from `token` or `getToken`, unless the request sets its own. */
function authorization(options: Pick<EscrowClientOptions, 'token' | 'getToken'>): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('authorization')) return;
      const token = options.getToken ? await options.getToken() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
    },
  };
}

/** An Idempotency-Key on every POST that has none: the service answers its repeats with the first outcome. */
function idempotencyKeys(next: () => string): Middleware {
  return {
    onRequest({ request }) {
      if (request.method === 'POST' && !request.headers.has('idempotency-key')) {
        request.headers.set('idempotency-key', next());
      }
    },
  };
}
