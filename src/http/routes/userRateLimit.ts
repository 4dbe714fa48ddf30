import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Authenticator, Principal } from '../auth.js';
import { HttpError } from '../problem.js';
import type { Api, HttpOptions } from '../types.js';

/** The runbooks grep for this exact text; every refusal logs it with its bucket and caller (never the token). */
export const RATE_LIMIT_EXCEEDED = 'Rate limit exceeded';

type Bucket = 'ip' | 'service' | 'admin';
const WHOSE: Record<Bucket, string> = {
  ip: 'from this address',
  service: 'for this service caller',
  admin: 'for this admin',
};

/**
 * Registers the global limit as an app-level hook, so it runs before every route's own hooks: a request refused by
 * authentication or by the per-user limit still counts for its address. Routes whose config says `rateLimit: false`
 * are exempt.
 */
export async function registerRateLimit(app: Api, opts: HttpOptions, authenticator: Authenticator): Promise<void> {
  await app.register(rateLimit, globalRateLimit(opts, authenticator));
  const limited = app.rateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config?.rateLimit !== false) await limited.call(app, request, reply);
  });
}

/**
 * The global limit (`@fastify/rate-limit`, every route but those whose config says `rateLimit: false`: provider
 * webhooks, health and metrics). A request with a verified `service` or `admin` token counts in its caller's own
 * bucket (RATE_LIMIT_SERVICE/ADMIN_PER_MINUTE), every other request in its client address's (RATE_LIMIT_PER_IP_PER_MINUTE;
 * the address is the proxy's X-Forwarded-For when TRUST_PROXY trusts it): a backend or an operator behind one address
 * never spends the budget of the people behind it, nor theirs.
 */
function globalRateLimit(opts: HttpOptions, authenticator: Authenticator): RateLimitPluginOptions {
  const limits = opts.rateLimit;
  const max: Record<Bucket, number> = {
    ip: limits.perIpPerMinute,
    service: limits.servicePerMinute,
    admin: limits.adminPerMinute,
  };
  const bucketOf = (key: string): Bucket => key.slice(0, key.indexOf(':')) as Bucket;
  const chosen = new WeakMap<FastifyRequest, Bucket>();
  return {
    global: false,
    timeWindow: 60_000,
    keyGenerator: async (request) => {
      // Only a token that says service or admin is verified here (users, the bulk, stay in the address's bucket).
      const header = request.headers.authorization;
      const caller = OWN_BUCKET.has(claimedRole(header) ?? '') ? await verified(authenticator, header) : null;
      const bucket: Bucket = caller && caller.role !== 'user' ? caller.role : 'ip';
      chosen.set(request, bucket);
      return `${bucket}:${bucket === 'ip' ? request.ip : caller!.id}`;
    },
    max: (_request, key) => max[bucketOf(key)],
    ...(opts.redis ? { redis: opts.redis, nameSpace: 'escrow-rl:' } : {}),
    onExceeded: (request, key) => {
      const bucket = bucketOf(key);
      request.log.warn(
        { bucket, caller: key.slice(bucket.length + 1), limit_per_minute: max[bucket], url: request.url },
        RATE_LIMIT_EXCEEDED,
      );
    },
    errorResponseBuilder: (request, ctx) =>
      new HttpError(
        429,
        'RATE_LIMITED',
        `rate limit of ${ctx.max} requests per minute ${WHOSE[chosen.get(request) ?? 'ip']} exceeded`,
        { 'retry-after': String(Math.ceil(ctx.ttl / 1000)) },
      ),
  };
}

const OWN_BUCKET = new Set(['service', 'admin']);

const verified = (authenticator: Authenticator, header: string | undefined): Promise<Principal | null> =>
  authenticator(header).catch(() => null);

/** The role a bearer token claims, unverified (it only picks whether to verify the token here). */
function claimedRole(header: string | undefined): string | null {
  const payload = /^Bearer [\w-]+\.([\w-]+)\.[\w-]*$/.exec(header ?? '')?.[1];
  if (!payload) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { role?: unknown };
    return typeof claims.role === 'string' ? claims.role : null;
  } catch {
    return null;
  }
}

/**
 * Per-user fixed window for people (`user` tokens): RATE_LIMIT_PER_USER_PER_MINUTE (50, SPEC §5) escrow requests a
 * minute, keyed by the verified token subject. `service` and `admin` callers have their own quotas in the global limit
 * instead. Counters live in Redis when configured (limits hold across replicas), in this process otherwise.
 */
export class UserRateLimit {
  private window = 0;
  private counts = new Map<string, number>();
  constructor(
    private readonly perMinute: number,
    private readonly redis: Redis | undefined,
  ) {}

  /** Counts a request of `principal` (people only); past the limit calls `onExceeded` and throws the 429. */
  async check(principal: Pick<Principal, 'id' | 'role'>, onExceeded?: (perMinute: number) => void): Promise<void> {
    if (principal.role !== 'user') return;
    const userId = principal.id;
    const now = Date.now();
    const window = Math.floor(now / 60_000);
    let n: number;
    if (this.redis) {
      const key = `escrow-rl-user:${userId}:${window}`;
      const res = await this.redis.multi().incr(key).pexpire(key, 61_000).exec();
      n = Number(res?.[0]?.[1] ?? 0);
    } else {
      if (window !== this.window) {
        this.window = window;
        this.counts = new Map();
      }
      n = (this.counts.get(userId) ?? 0) + 1;
      this.counts.set(userId, n);
    }
    if (n > this.perMinute) {
      onExceeded?.(this.perMinute);
      const retry = Math.ceil(((window + 1) * 60_000 - now) / 1000);
      throw new HttpError(429, 'RATE_LIMITED', `at most ${this.perMinute} escrow requests per minute per user`, {
        'retry-after': String(retry),
      });
    }
  }
}
