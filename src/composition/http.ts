import { Redis } from 'ioredis';
import type { Database } from '../adapters/db/database.js';
import { SqlIdempotencyStore } from '../adapters/db/idempotencyStore.js';
import { RedisIdempotencyStore } from '../adapters/redis/idempotencyStore.js';
import type { Liveness } from '../app/ports/heartbeatStore.js';
import type { Config } from '../config/index.js';
import type { HttpDeps } from '../http/deps.js';
import { VERSION } from './version.js';

/**
 * The api role: the Fastify app on the engine's services, listening on PORT. Fastify is loaded only here, so workers
 * and CLI commands start without it. Resolves to the bound port and the cleanup.
 */
export async function startApi(
  config: Config,
  db: Database,
  deps: HttpDeps,
  jwtSecret: () => string,
  liveness?: Liveness,
): Promise<{ port: number; close: () => Promise<void> }> {
  const redis = config.http.redisUrl ? new Redis(config.http.redisUrl, { maxRetriesPerRequest: 2 }) : undefined;
  let app: Awaited<ReturnType<typeof import('../http/app.js').buildHttpApp>> | undefined;
  const close = async () => {
    await app?.close();
    if (redis) await redis.quit();
  };
  try {
    const { buildHttpApp } = await import('../http/app.js');
    const { storage, ttlMs, lockMs } = config.http.idempotency;
    const idempotencyStore =
      storage === 'redis' && redis ? new RedisIdempotencyStore(redis) : new SqlIdempotencyStore(db);
    app = await buildHttpApp(deps, {
      ...config.http,
      ...(redis ? { redis } : {}),
      idempotency: { store: idempotencyStore, ttlMs, lockMs, ...(liveness ? { liveness } : {}) },
      timeouts: {
        requestMs: config.env.HTTP_REQUEST_TIMEOUT_MS,
        headersMs: config.env.HTTP_HEADERS_TIMEOUT_MS,
        keepAliveMs: config.env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
      ...(config.http.jwtSecret || config.http.jwksUrl ? {} : { jwtSecret: jwtSecret() }),
      version: VERSION,
    });
    // Past HTTP_MAX_CONNECTIONS a new connection is closed at once (never queued); the accept queue holds a burst of
    // new connections until they are accepted (a small one makes clients wait out SYN retransmits, seconds each).
    app.server.maxConnections = config.env.HTTP_MAX_CONNECTIONS;
    await app.listen({ port: config.port, host: config.host, backlog: config.env.HTTP_LISTEN_BACKLOG });
  } catch (err) {
    // A port in use, a bad JWKS URL...: nothing this role opened may outlive the failure.
    await close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.port, close };
}
