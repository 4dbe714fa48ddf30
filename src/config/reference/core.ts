import type { VariableDoc } from './types.js';

export const applicationDocs = {
  NODE_ENV: { meaning: '`production` disables the SANDBOX rail unless `SANDBOX_ENABLED=true`' },
  LOG_LEVEL: { meaning: 'pino level' },
  API_URL: {
    default: '`http://localhost:$PORT`',
    meaning:
      "the API's public base: the sandbox `payUrl`, the default of `PAYSTACK_CUSTOMER_EMAIL_DOMAIN` (its host); providers' webhooks go to `<API_URL>/api/webhooks/<provider>`",
  },
  PORT: { meaning: 'where the `api` role listens' },
  HOST: { meaning: "the address the `api` role (and a role's `METRICS_PORT`) binds" },
  CORS_ORIGINS: { meaning: 'comma-separated allowed origins' },
  MAINTENANCE_MODE: {
    meaning:
      '`true`: the start-up default of the emergency pause: each process pauses every scope not already paused (`escrow pause --scope all`, as `system:MAINTENANCE_MODE`, audited) before its roles run; `escrow resume` lifts it, but a restart with the variable still `true` pauses again',
  },
  HTTP_BODY_LIMIT_BYTES: { meaning: 'larger bodies get 413' },
  HTTP_REQUEST_TIMEOUT_MS: {
    meaning:
      'a request not received whole within this is answered 408 and its connection closed: slow clients cannot hold connections',
  },
  HTTP_HEADERS_TIMEOUT_MS: {
    meaning: 'a request whose headers are not received within this is answered 408 and its connection closed',
  },
  HTTP_KEEP_ALIVE_TIMEOUT_MS: {
    meaning: "an idle keep-alive connection is closed after this (keep it above the load balancer's idle timeout)",
  },
  HTTP_MAX_CONNECTIONS: {
    meaning: 'open connections per API process; past it a new connection is closed at once',
  },
  HTTP_LISTEN_BACKLOG: {
    meaning: 'accept queue for bursts of new connections (the kernel caps it at `net.core.somaxconn`)',
  },
  RATE_LIMIT_PER_IP_PER_MINUTE: {
    meaning: 'requests per client address per minute; 429 with `Retry-After` beyond',
  },
  RATE_LIMIT_PER_USER_PER_MINUTE: {
    meaning: 'requests per `user` caller per minute; 429 with `Retry-After` beyond',
  },
  RATE_LIMIT_SERVICE_PER_MINUTE: {
    meaning: "each `service` caller's own bucket (every route), instead of the per-IP and per-user limits",
  },
  RATE_LIMIT_ADMIN_PER_MINUTE: {
    meaning: "each `admin` caller's own bucket (every route), instead of the per-IP and per-user limits",
  },
  TRUST_PROXY: {
    meaning:
      'whose `X-Forwarded-For` names the client: `true` (every hop), a hop count, or a comma list of proxy addresses/CIDRs (`10.0.0.0/8,loopback`)',
  },
} satisfies Record<string, VariableDoc>;

export const authDocs = {
  JWT_SECRET: {
    default: 'generated in `DATA_DIR` (embedded)',
    meaning: 'HS256 secret, ≥ 64 characters; required with `DATABASE_URL` unless `JWT_JWKS_URL`',
    secret: true,
  },
  JWT_JWKS_URL: { meaning: 'verify RS256/ES256 tokens with these keys instead' },
  JWT_MAX_LIFETIME_HOURS: {
    meaning: 'the longest token lifetime accepted (`exp` − `iat`); a token without `exp` is always refused',
  },
  JWT_SECRET_PREVIOUS: {
    meaning:
      "a rotation's old HS256 secret (≥ 64 characters, not `JWT_SECRET`): its tokens still verify until `JWT_SECRET_PREVIOUS_UNTIL`, then are refused (401 `TOKEN_KEY_RETIRED`); `JWT_SECRET` always signs",
    secret: true,
  },
  JWT_SECRET_PREVIOUS_UNTIL: {
    meaning:
      'required with `JWT_SECRET_PREVIOUS`: the ISO-8601 instant with its zone (e.g. `2026-12-09T12:00:00Z`) the old secret is retired; at least `JWT_MAX_LIFETIME_HOURS` after the rotation',
  },
  JWT_ISSUER: {
    meaning: "tokens must carry this `iss` (minted ones do: `escrow token`, the CLI's own)",
  },
  JWT_AUDIENCE: { meaning: 'tokens must carry this `aud` (minted ones do)' },
} satisfies Record<string, VariableDoc>;

export const databaseDocs = {
  DATABASE_URL: { meaning: 'PostgreSQL URL; unset = embedded PGlite', secret: true },
  DATA_DIR: { meaning: 'PGlite data directory (created on first run)' },
  DATABASE_SCHEMA: {
    default: "the user's `search_path`",
    meaning: "PostgreSQL schema holding this installation's tables (migrations included)",
  },
  DATABASE_POOL_SIZE: { meaning: 'PostgreSQL pool size' },
  DATABASE_POOL_TIMEOUT: { meaning: 'ms to wait for a pooled connection' },
  DATABASE_STATEMENT_TIMEOUT_MS: {
    meaning:
      'PostgreSQL `statement_timeout` of every connection; a statement past it fails (503 to the API), and a server that does not answer at all is given up 2 s later; `0` = none (e.g. for a long `escrow migrate`)',
  },
  SLOW_QUERY_MS: {
    meaning:
      'statements taking this long or longer are logged at warn as `slow query` (duration and first words, never parameters); `0` = off',
  },
} satisfies Record<string, VariableDoc>;

export const processesDocs = {
  HEARTBEAT_INTERVAL_SECONDS: {
    meaning: 'how often each process records its running roles in `process_heartbeats`',
  },
  HEARTBEAT_STALE_SECONDS: {
    meaning:
      'an instance unseen this long is gone: `/health` stops counting it, and its in-flight keys and settlement leases are taken over at once (at least twice the interval)',
  },
  OUTBOX_POLL_INTERVAL_MS: { meaning: 'outbox poll fallback; commits wake it immediately' },
  OUTBOX_BATCH_SIZE: { meaning: 'events per outbox batch' },
  OUTBOX_MAX_ATTEMPTS: { meaning: 'delivery attempts before an outbox row is dead-lettered' },
  METRICS_PORT: {
    meaning:
      'roles without the API serve `/metrics`, `/health/live` and `/health/ready` here (the api serves them on `PORT`)',
  },
} satisfies Record<string, VariableDoc>;

export const idempotencyDocs = {
  REDIS_URL: {
    meaning:
      'Redis for the API: rate-limit counters (so limits hold across API replicas) and, with `IDEMPOTENCY_STORAGE=redis`, the `Idempotency-Key` responses; may hold a password',
    secret: true,
  },
  IDEMPOTENCY_STORAGE: {
    meaning:
      "where `Idempotency-Key` responses are kept: `postgres` or `database` (the engine's database, PGlite included) or `redis` (needs `REDIS_URL`)",
  },
  IDEMPOTENCY_TTL_HOURS: {
    meaning: 'how long a response is replayed; expired rows are deleted hourly, Redis keys expire',
  },
  IDEMPOTENCY_LOCK_SECONDS: {
    meaning:
      'how long a request in progress holds its key; a retry after that takes over the key of a request that died (at once when the process holding it has stopped beating)',
  },
} satisfies Record<string, VariableDoc>;
