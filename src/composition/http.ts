import { Redis } from 'ioredis';
import type { Database } from '../adapters/db/database.js';
import { SqlIdempotencyStore } from '../adapters/db/idempotencyStore.js';
import { RedisIdempotencyStore } from '../adapters/redis/idempotencyStore.js';
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
      idempotency: { store: idempotencyStore, ttlMs, lockMs },
      ...(config.http.jwtSecret || config.http.jwksUrl ? {} : { jwtSecret: jwtSecret() }),
      version: VERSION,
    });
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    // A port in use, a bad JWKS URL...: nothing this role opened may outlive the failure.
    await close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  return { port: typeof address === 'object' && address ? address.port : config.port, close };
}
