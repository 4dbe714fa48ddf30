import type { WebhookConfig } from './webhooks.js';
import type { RiskSettings } from '../adapters/risk/config.js';
import type { StorageSettings } from '../adapters/storage/config.js';
import type { VaultSettings } from '../adapters/vault/config.js';
import type { KafkaConfig } from '../adapters/kafka/settings.js';
import type { RailsConfig } from '../adapters/rails/registry.js';
import type { EscrowPolicy } from '../domain/index.js';
import type { Env } from './schema.js';
import type { ApprovalConfig } from './approvals.js';

export interface Config {
  env: Env;
  nodeEnv: Env['NODE_ENV'];
  logLevel: Env['LOG_LEVEL'];
  port: number;
  host: string;
  /** Where roles without the API (worker, outbox, ...) serve /metrics. */
  metricsPort?: number;
  apiUrl: string;
  http: {
    jwtSecret?: string;
    jwksUrl?: string;
    /** The longest token lifetime (exp − iat) accepted: JWT_MAX_LIFETIME_HOURS. */
    maxTokenLifetimeSeconds: number;
    /** JWT_SECRET_PREVIOUS and JWT_SECRET_PREVIOUS_UNTIL: the old secret's tokens verify until then. */
    jwtPrevious?: { secret: string; until: Date };
    /** JWT_ISSUER / JWT_AUDIENCE: tokens must carry them; minted tokens do. */
    jwtIssuer?: string;
    jwtAudience?: string;
    corsOrigins: string[];
    bodyLimitBytes: number;
    rateLimit: RateLimits;
    /** TRUST_PROXY: whose X-Forwarded-For gives the client's address (Fastify's `trustProxy`). */
    trustProxy: boolean | number | string[];
    /** Rate-limit counters live here when set, so limits hold across replicas. */
    redisUrl?: string;
    idempotency: { storage: 'postgres' | 'redis'; ttlMs: number; lockMs: number };
  };
  database:
    | { mode: 'postgres'; url: string; poolSize: number; timeoutMs: number; schema?: string }
    | { mode: 'pglite'; dataDir: string };
  /** Which rails run (ESCROW_RAILS, less those a rail's own rules turn off) and each shipped rail's settings. */
  rails: RailsConfig;
  /** Risk screening of paying addresses (USDC deposits). */
  risk: RiskSettings;
  /** VAULT_KEY and VAULT_KEYS_PREVIOUS; null when VAULT_KEY is unset (the credential vault is then off). */
  vault: VaultSettings | null;
  /** Evidence and contract files: a local directory (default, under DATA_DIR) or S3 (AWS_S3_BUCKET). */
  storage: StorageSettings;
  policy: EscrowPolicy;
  /** Dual control (ADMIN_APPROVAL_THRESHOLD, ADMIN_APPROVAL_TTL_HOURS): no thresholds is off. */
  approvals?: ApprovalConfig;
  /** Outgoing webhooks: address policy, timeout, concurrency, retry schedule (WEBHOOKS_*). */
  webhooks: WebhookConfig;
  timeouts: { pollIntervalMs: number; deliveredAction: 'REFUND' | 'RELEASE'; autoRefund: boolean };
  settlements: { maxRetries: number; retryDelayMs: number; batchSize: number };
  outbox: { pollIntervalMs: number; batchSize: number; maxAttempts: number };
  /** MAINTENANCE_MODE: at start, the emergency pause of every scope not already paused (`escrow resume` lifts it). */
  maintenanceMode: boolean;
  /** Each running role's heartbeat row: written every `intervalMs`; an instance unseen for `staleMs` is gone. */
  heartbeats: { intervalMs: number; staleMs: number };
  reconciler: { intervalMs: number; paymentAfterMs: number; settlementAfterMs: number; windowMs: number };
  /** Kafka mode (KAFKA_BROKERS set): commands go through the commands topic, events to the events topic. */
  kafka?: KafkaConfig;
  /** Variables that are set but do nothing in this version (logged once by `escrow serve`). */
  warnings: string[];
}

/** Requests a minute: per client IP, per `user` on escrow routes, and per `service` / `admin` caller (own buckets). */
export interface RateLimits {
  perIpPerMinute: number;
  perUserPerMinute: number;
  servicePerMinute: number;
  adminPerMinute: number;
}
