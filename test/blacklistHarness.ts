import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { SqlBlacklistStore } from '../src/adapters/db/blacklistStore.js';
import { BlacklistService } from '../src/app/blacklist.js';
import { createAuthenticator, mintToken, type ApiRole } from '../src/http/auth.js';
import { addBodyParsers } from '../src/http/bodyParser.js';
import { HttpError, errorHandler } from '../src/http/problem.js';
import { blacklistRoutes } from '../src/http/routes/blacklist.js';
import type { Api, HttpOptions } from '../src/http/types.js';
import { FakeClock, freshDatabase, type EngineKind, type TestDb } from './harness.js';
import type { HttpResult } from './httpHarness.js';

const SECRET = 'blacklist-test-secret-'.padEnd(80, 'x');

export interface BlacklistServer {
  testDb: TestDb;
  clock: FakeClock;
  service: BlacklistService;
  baseUrl: string;
  token(sub: string, role: ApiRole): Promise<string>;
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown },
  ): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

/**
 * The blacklist routes on a listening Fastify server over a fresh database, with what of the API app they rely on:
 * the body parsers, the problem+json error handler, strict validation (the app's AJV settings) and real JWTs. Until
 * the routes are wired into src/http/app.ts, this is how they run over HTTP; the full app then serves the same.
 */
export async function blacklistServer(kind: EngineKind): Promise<BlacklistServer> {
  const testDb = await freshDatabase(kind);
  const clock = new FakeClock('2026-12-02T10:00:00.000Z');
  const service = new BlacklistService({ store: new SqlBlacklistStore(testDb.db), clock });
  const app = Fastify({
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        verbose: true,
        discriminator: true,
        keywords: ['x-message', 'x-required'],
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;
  app.decorateRequest('principal', null);
  app.decorateRequest('rawBody', null);
  app.setErrorHandler(errorHandler);
  addBodyParsers(app);
  const authenticator = createAuthenticator({ secret: SECRET });
  await app.register(
    (api: Api, _o, done) => {
      blacklistRoutes(api, {
        deps: { blacklist: service },
        opts: {} as HttpOptions,
        authenticate: (roles) => async (request) => {
          const principal = await authenticator(request.headers.authorization);
          if (roles && !roles.includes(principal.role)) {
            throw new HttpError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')} callers`);
          }
          request.principal = principal;
        },
      });
      done();
    },
    { prefix: '/api' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    testDb,
    clock,
    service,
    baseUrl,
    token: (sub, role) => mintToken(SECRET, { sub, role }, '1h'),
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(baseUrl + path, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as never, text };
    },
    async close() {
      await app.close();
      await testDb.drop();
    },
  };
}
