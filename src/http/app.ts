import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyReply } from 'fastify';
import type { Pause } from '../app/ports/pauseStore.js';
import type { HttpDeps } from './deps.js';
import { createAuthenticator, type Authenticator, type Principal } from './auth.js';
import type { Api, HttpOptions, RouteDeps } from './types.js';
import { HttpError, errorHandler, problem } from './problem.js';
import { addBodyParsers, refuseUnstorableParams } from './bodyParser.js';
import { adminRoutes } from './routes/admin.js';
import { registerRateLimit } from './routes/userRateLimit.js';
import { commandRoutes } from './routes/commands.js';
import { escrowRoutes } from './routes/escrows.js';
import { suspenseRoutes } from './routes/suspense.js';
import { payoutAccountRoutes } from './routes/payoutAccounts.js';
import { blacklistRoutes } from './routes/blacklist.js';
import { disputeAdminRoutes } from './routes/disputeAdmin.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { pauseRoutes } from './routes/pause.js';
import { approvalRoutes } from './routes/approvals.js';
import { operatorRoutes } from './routes/operator.js';
import { reportRoutes } from './routes/reports.js';
import { tokenRoutes } from './routes/tokens.js';
import { checkRoutes } from './routes/check.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { webhookAdminRoutes } from './routes/webhookAdmin.js';
import { webhookEndpointRoutes } from './routes/webhookEndpoints.js';
import { webhookRoutes } from './routes/webhooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    rawBody: string | null;
  }
}

/** The Fastify app: every route of SPEC §5 on top of the engine. `listen` is the caller's business. */
export async function buildHttpApp(deps: HttpDeps, opts: HttpOptions): Promise<Api> {
  const app = createServer(deps, opts);
  addBodyParsers(app);
  app.addHook('preValidation', refuseUnstorableParams);
  const authenticator = createAuthenticator({
    ...(opts.jwtSecret ? { secret: opts.jwtSecret } : {}),
    ...(opts.jwksUrl ? { jwksUrl: opts.jwksUrl } : {}),
    ...(opts.maxTokenLifetimeSeconds ? { maxLifetimeSeconds: opts.maxTokenLifetimeSeconds } : {}),
    ...(opts.jwtPrevious ? { previous: opts.jwtPrevious } : {}),
    ...{ issuer: opts.jwtIssuer, audience: opts.jwtAudience },
    ...(deps.tokens ? { isRevoked: deps.tokens.isRevoked.bind(deps.tokens) } : {}),
  });
  addRequestHooks(app, deps, authenticator);
  await registerPlugins(app, opts, authenticator);
  await registerRoutes(app, deps, opts, authenticator);
  pruneIdempotencyKeys(app, deps, opts);
  return app;
}

/** Fastify with problem+json for errors raised before routing, strict validation and request ids. */
function createServer(deps: HttpDeps, opts: HttpOptions): Api {
  const app = Fastify({
    loggerInstance: deps.logger.child({}, { redact: ['req.headers.authorization', 'req.headers.cookie'] }),
    bodyLimit: opts.bodyLimitBytes,
    // Behind a load balancer the client is whoever TRUST_PROXY's proxies say (X-Forwarded-For), not the proxy.
    trustProxy: typeof opts.trustProxy === 'number' ? trustHops(opts.trustProxy) : (opts.trustProxy ?? false),
    // A slow client (headers or body trickled, an idle keep-alive) cannot hold its connection for ever; Node checks
    // the header and request deadlines every connectionsCheckingInterval (30 s by default: too coarse for 10 s).
    ...(opts.timeouts
      ? {
          requestTimeout: opts.timeouts.requestMs,
          keepAliveTimeout: opts.timeouts.keepAliveMs,
          http: {
            headersTimeout: Math.min(opts.timeouts.headersMs, opts.timeouts.requestMs),
            connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(opts.timeouts.headersMs / 4))),
          },
        }
      : {}),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Errors Fastify raises before routing (a malformed URL, an over-long parameter) are problems like any other.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void (reply as unknown as FastifyReply)
        .code(status)
        .header('x-request-id', request.id)
        .type('application/problem+json')
        .send(problem(status, 'BAD_REQUEST', error.message, request.url));
    },
    // Requests Node refuses before Fastify sees them (e.g. headers over 16 KB) still get a problem+json answer.
    // A client too slow for HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS is told 408 as it is cut off.
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const status = timedOut ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const p = timedOut
        ? problem(408, 'REQUEST_TIMEOUT', 'the request did not arrive in time; the connection is closed', '/')
        : problem(status, 'BAD_REQUEST', 'the request could not be parsed', '/');
      const body = JSON.stringify(p);
      if (socket.writable) {
        socket.end(
          `HTTP/1.1 ${status} ${p.title}\r\n` +
            `content-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
            `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
        );
      } else socket.destroy(err);
    },
    // Unknown fields are rejected (not stripped) and types are never coerced: "100" and 100 are different inputs.
    // Validation stops at the first failing keyword (allErrors would let one body cost an error per item); `verbose`
    // hands the problem formatter the failing schema and value, so it names every missing field, an enumeration's
    // values once, and the schemas' own wording (x-message, x-required; discriminator: SPLIT needs buyerAmount).
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
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send(problem(404, 'NOT_FOUND', `no route ${request.method} ${request.url}`, request.url)),
  );
  return app;
}

/** A hop count as Fastify applies it (its types omit the number form): the `hops` nearest addresses are proxies. */
const trustHops =
  (hops: number) =>
  (_address: string, hop: number): boolean =>
    hop < hops;

/** Request ids, the intake pause, and one log line and the HTTP metrics per request. */
function addRequestHooks(app: Api, deps: HttpDeps, authenticator: Authenticator): void {
  const pause = deps.operations.pause;
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // in memory (kept by NOTIFY): no query per request; the token is verified only while intake is paused
    const paused = pause?.current('intake');
    if (paused && refusedWhilePaused(request.method, request.url)) {
      if (!(await isAdmin(authenticator, request.headers.authorization))) throw pausedProblem(paused);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    deps.metrics.httpRequests.inc(labels);
    deps.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.params && typeof request.params === 'object' && 'id' in request.params
          ? { escrow_id: request.params.id }
          : {}),
      },
      'request',
    );
  });
}

async function registerPlugins(app: Api, opts: HttpOptions, authenticator: Authenticator): Promise<void> {
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, { origin: opts.corsOrigins.length > 0 ? opts.corsOrigins : false });
  await registerRateLimit(app, opts, authenticator);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Escrow Services API',
        version: opts.version,
        description:
          'Escrows for marketplaces: amounts are digit strings in minor units; errors are application/problem+json; ' +
          'every POST accepts an Idempotency-Key.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

/** How long a caller refused by the intake pause is told to wait before trying again. */
export const PAUSE_RETRY_AFTER_SECONDS = 60;

/**
 * What the intake pause refuses: a change (POST, PUT, PATCH, DELETE) on the API; reads stay open, and so do provider
 * webhooks and the sandbox's simulated payments (the money arriving is recorded), and the admin routes (their own
 * authorization answers anyone else).
 */
function refusedWhilePaused(method: string, url: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || !url.startsWith('/api/')) return false;
  return !['/api/webhooks/', '/api/sandbox/payments/', '/api/admin/'].some((open) => url.startsWith(open));
}

const pausedProblem = (p: Pause): HttpError =>
  new HttpError(
    503,
    'PAUSED',
    // who paused and why are the operators' (GET /api/admin/pause, /health): a marketplace's user is told when
    `new escrows and changes are paused by the operator (scope intake) since ${p.setAt}; reads still work; retry ` +
      `after ${PAUSE_RETRY_AFTER_SECONDS} s`,
    { 'retry-after': String(PAUSE_RETRY_AFTER_SECONDS) },
  );

/** A pause keeps admins working (the runbook's fixes are admin commands); anyone else waits. */
const isAdmin = (authenticator: Authenticator, header: string | undefined): Promise<boolean> =>
  authenticator(header).then(
    (p) => p.role === 'admin',
    () => false,
  );

async function registerRoutes(
  app: Api,
  deps: HttpDeps,
  opts: HttpOptions,
  authenticator: Authenticator,
): Promise<void> {
  const ctx: RouteDeps = {
    deps,
    opts,
    authenticate: (roles) => async (request) => {
      const principal = await authenticator(request.headers.authorization);
      if (roles && !roles.includes(principal.role)) {
        throw new HttpError(403, 'FORBIDDEN', `this route is for ${roles.join(' or ')} callers`);
      }
      request.principal = principal;
    },
  };

  healthRoutes(app, ctx);
  await app.register(
    (api: Api, _o, done) => {
      escrowRoutes(api, ctx);
      commandRoutes(api, ctx);
      adminRoutes(api, ctx);
      suspenseRoutes(api, ctx);
      payoutAccountRoutes(api, ctx);
      blacklistRoutes(api, ctx);
      disputeAdminRoutes(api, ctx);
      fileRoutes(api, ctx);
      sandboxRoutes(api, ctx);
      webhookAdminRoutes(api, ctx);
      webhookEndpointRoutes(api, ctx);
      pauseRoutes(api, ctx);
      approvalRoutes(api, ctx);
      operatorRoutes(api, ctx);
      reportRoutes(api, ctx);
      tokenRoutes(api, ctx);
      checkRoutes(api, ctx);
      done();
    },
    { prefix: '/api' },
  );
  await app.register((api: Api, _o, done) => webhookRoutes(api, ctx, done), { prefix: '/api' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

function pruneIdempotencyKeys(app: Api, deps: HttpDeps, opts: HttpOptions): void {
  // Expired Idempotency-Key responses are deleted hourly (Redis expires its own); replicas doing it together is fine.
  const prune = () =>
    opts.idempotency.store
      .prune(deps.clock.now())
      .then((n) => (n > 0 ? app.log.info({ deleted: n }, 'expired idempotency keys deleted') : undefined))
      .catch((err: unknown) => app.log.warn({ err }, 'idempotency prune failed'));
  let pruner: NodeJS.Timeout | undefined;
  app.addHook('onReady', (done) => {
    void prune();
    pruner = setInterval(() => void prune(), 3_600_000).unref();
    done();
  });
  app.addHook('onClose', (_app, done) => {
    clearInterval(pruner);
    done();
  });
}
