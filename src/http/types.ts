import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiRole } from './auth.js';
import type { HttpDeps } from './deps.js';
import type { IdempotencySettings } from './idempotency.js';

export interface HttpOptions {
  jwtSecret?: string;
  jwksUrl?: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  /** Per client IP, per `user` on escrow routes, and each `service` / `admin` caller's own bucket (every route). */
  rateLimit: { perIpPerMinute: number; perUserPerMinute: number; servicePerMinute: number; adminPerMinute: number };
  /** Fastify's `trustProxy` (TRUST_PROXY): whose X-Forwarded-For names the client. */
  trustProxy?: boolean | number | string[];
  /** Slow clients: how long a whole request, its headers and an idle keep-alive connection may take, in ms. */
  timeouts?: { requestMs: number; headersMs: number; keepAliveMs: number };
  /** Shared rate-limit counters (REDIS_URL); in-process counters without it. */
  redis?: Redis;
  /** Where Idempotency-Key responses are kept, and for how long. */
  idempotency: IdempotencySettings;
  version: string;
  /** JWT_MAX_LIFETIME_HOURS in seconds. */
  maxTokenLifetimeSeconds?: number;
  /** JWT_SECRET_PREVIOUS until JWT_SECRET_PREVIOUS_UNTIL: the old secret's tokens still verify. */
  jwtPrevious?: { secret: string; until: Date };
  /** JWT_ISSUER / JWT_AUDIENCE: the `iss` / `aud` tokens must carry. */
  jwtIssuer?: string;
  jwtAudience?: string;
}

export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface RouteDeps {
  deps: HttpDeps;
  opts: HttpOptions;
  /** onRequest hook (before body validation): requires a valid token, and one of `roles` when given. */
  authenticate: (roles?: readonly ApiRole[]) => (request: FastifyRequest) => Promise<void>;
}
