import { z } from 'zod';
import {
  DEFAULT_CURRENCY_EXPONENTS,
  DEFAULT_FEES,
  DEFAULT_RAIL_CURRENCIES,
  RAILS,
  type EscrowPolicy,
  type FeeSchedule,
  type Rail,
} from './domain/index.js';

/** Raised with every problem found at once, so an operator fixes the environment in one pass. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);
const url = z.string().url();

const feeRule = z.object({ bps: z.number().int().min(0).max(10_000), fixed: z.number().int().min(0) }).strict();
const feeJson = z
  .string()
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.enum(RAILS), z.object({ buyer: feeRule, seller: feeRule }).strict()));

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  API_URL: url.optional(),
  JWT_SECRET: z.string().min(64, 'must be at least 64 characters').optional(),
  JWT_JWKS_URL: url.optional(),
  CORS_ORIGINS: z.string().default(''),
  MAINTENANCE_MODE: bool(false),
  HTTP_BODY_LIMIT_BYTES: int(262_144, 1024, 10_485_760),
  RATE_LIMIT_PER_IP_PER_MINUTE: int(100, 1, 1_000_000),
  RATE_LIMIT_PER_USER_PER_MINUTE: int(50, 1, 1_000_000),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  IDEMPOTENCY_STORAGE: z.enum(['postgres', 'redis']).default('postgres'),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(8760).default(24),
  IDEMPOTENCY_LOCK_SECONDS: z.coerce.number().positive().max(3600).default(30),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier')
    .optional(),
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  DATABASE_POOL_TIMEOUT: int(20_000, 100, 600_000),
  DATA_DIR: z.string().min(1).default('./data'),

  ESCROW_PAYMENT_DEADLINE_DAYS: int(7, 1, 365),
  ESCROW_AUTO_REFUND_DEADLINE_DAYS: int(7, 1, 365),
  ESCROW_TIMEOUT_POLL_INTERVAL_MINUTES: z.coerce.number().positive().max(1440).default(5),
  ESCROW_MAX_RETRIES: int(3, 1, 100),
  ESCROW_RETRY_DELAY_MS: int(1000, 1, 3_600_000),
  ESCROW_SETTLEMENT_BATCH_SIZE: int(50, 1, 1000),
  ESCROW_DELIVERED_TIMEOUT_ACTION: z.enum(['REFUND', 'RELEASE']).default('REFUND'),
  ESCROW_RAILS: z.string().default('SANDBOX'),
  ESCROW_FEES: feeJson.optional(),
  ESCROW_CURRENCIES: z
    .string()
    .regex(/^[A-Z]{3,5}:\d(,[A-Z]{3,5}:\d)*$/, 'must look like USD:2,EUR:2,USDC:6')
    .optional(),

  SANDBOX_ENABLED: bool(false),
  SANDBOX_WEBHOOK_SECRET: z.string().min(16).optional(),

  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  CUSTODIAN_API_URL: url.optional(),
  CUSTODIAN_API_KEY: z.string().min(1).optional(),
  CUSTODIAN_WEBHOOK_SECRET: z.string().min(1).optional(),
  PAYSTACK_SECRET_KEY: z.string().min(1).optional(),

  OUTBOX_POLL_INTERVAL_MS: int(1000, 10, 600_000),
  OUTBOX_BATCH_SIZE: int(100, 1, 10_000),
  OUTBOX_MAX_ATTEMPTS: int(10, 1, 1000),

  KAFKA_BROKERS: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'must be host:port[,host:port...]')
    .optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('escrow-service'),
  KAFKA_GROUP_ID: z.string().min(1).default('escrow-service-group'),
  KAFKA_COMMANDS_TOPIC: z.string().min(1).default('escrow-commands'),
  KAFKA_EVENTS_TOPIC: z.string().min(1).default('escrow.events.v1'),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SSL_ENABLED: bool(false),
  KAFKA_COMMANDS_PARTITIONS: int(6, 1, 10_000),
  KAFKA_EVENTS_PARTITIONS: int(12, 1, 10_000),
  KAFKA_REPLICATION_FACTOR: int(3, 1, 100),
  KAFKA_RETENTION_DAYS: int(90, 1, 3650),
  COMMAND_REPLY_TIMEOUT_MS: int(5000, 0, 120_000),
  WORKER_MAX_IN_FLIGHT: int(10, 1, 1000),
  WORKER_MAX_ATTEMPTS: int(5, 1, 100),
  KAFKA_SESSION_TIMEOUT_MS: int(30_000, 1000, 3_600_000),
  KAFKA_FETCH_MAX_WAIT_MS: int(100, 1, 60_000),
  KAFKA_LINGER_MS: int(5, 0, 1000),

  FEATURE_AUTO_REFUND: bool(true),
});

export type Env = z.infer<typeof schema>;

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
    corsOrigins: string[];
    maintenanceMode: boolean;
    bodyLimitBytes: number;
    rateLimit: { perIpPerMinute: number; perUserPerMinute: number };
    /** Rate-limit counters live here when set, so limits hold across replicas. */
    redisUrl?: string;
    idempotency: { storage: 'postgres' | 'redis'; ttlMs: number; lockMs: number };
  };
  database:
    | { mode: 'postgres'; url: string; poolSize: number; timeoutMs: number; schema?: string }
    | { mode: 'pglite'; dataDir: string };
  rails: Rail[];
  sandbox: { enabled: boolean; webhookSecret: string };
  policy: EscrowPolicy;
  timeouts: { pollIntervalMs: number; deliveredAction: 'REFUND' | 'RELEASE'; autoRefund: boolean };
  settlements: { maxRetries: number; retryDelayMs: number; batchSize: number };
  outbox: { pollIntervalMs: number; batchSize: number; maxAttempts: number };
  /** Kafka mode (KAFKA_BROKERS set): commands go through the commands topic, events to the events topic. */
  kafka?: KafkaConfig;
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  groupId: string;
  commandsTopic: string;
  eventsTopic: string;
  ssl: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  topics: { commandsPartitions: number; eventsPartitions: number; replicationFactor: number; retentionDays: number };
  replyTimeoutMs: number;
  /** The API gathers commands sent within this many ms into one produce request. */
  lingerMs: number;
  worker: { maxInFlight: number; maxAttempts: number; sessionTimeoutMs: number; fetchMaxWaitMs: number };
}

/** The development secret of the sandbox rail. Sandbox webhooks move no real money. */
const DEV_SANDBOX_SECRET = 'sandbox-development-webhook-secret';

/** Parses and validates the environment once. Throws ConfigError naming every missing or malformed variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
  // Cross-variable rules read the raw values too, so one run reports every problem.
  const production = raw.NODE_ENV === 'production';
  const rails = (raw.ESCROW_RAILS ?? 'SANDBOX').split(',').map((r) => r.trim().toUpperCase());
  for (const r of rails) {
    if (!(RAILS as readonly string[]).includes(r))
      problems.push(`ESCROW_RAILS: unknown rail ${r} (${RAILS.join(', ')})`);
    else if (r !== 'SANDBOX') problems.push(`ESCROW_RAILS: the ${r} adapter is not available in this version`);
  }
  // The sandbox moves no money: on by default outside production, and in production only on request.
  const sandboxRequested = raw.SANDBOX_ENABLED === 'true' || raw.SANDBOX_ENABLED === '1';
  const sandboxEnabled = rails.includes('SANDBOX') && (!production || sandboxRequested);
  if (rails.includes('SANDBOX') && production && !sandboxRequested) {
    problems.push('ESCROW_RAILS: SANDBOX is disabled in production unless SANDBOX_ENABLED=true');
  }
  if (sandboxEnabled && production && !raw.SANDBOX_WEBHOOK_SECRET) {
    problems.push('SANDBOX_WEBHOOK_SECRET: required when the SANDBOX rail is enabled in production');
  }
  if (raw.DATABASE_URL && !raw.JWT_SECRET && !raw.JWT_JWKS_URL) {
    // Embedded mode keeps a generated secret in its data directory; a shared database needs a shared secret.
    problems.push('JWT_SECRET: required (or JWT_JWKS_URL) when DATABASE_URL is set');
  }
  if (raw.KAFKA_SASL_MECHANISM && (!raw.KAFKA_SASL_USERNAME || !raw.KAFKA_SASL_PASSWORD)) {
    problems.push('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM');
  }
  if (raw.IDEMPOTENCY_STORAGE === 'redis' && !raw.REDIS_URL) {
    problems.push('IDEMPOTENCY_STORAGE: redis needs REDIS_URL');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;

  const currencyExponents = env.ESCROW_CURRENCIES
    ? Object.fromEntries(env.ESCROW_CURRENCIES.split(',').map((p) => [p.split(':')[0]!, Number(p.split(':')[1])]))
    : DEFAULT_CURRENCY_EXPONENTS;
  const fees: FeeSchedule = { ...DEFAULT_FEES };
  for (const [rail, f] of Object.entries(env.ESCROW_FEES ?? {})) {
    (fees as Record<string, unknown>)[rail] = {
      buyer: { bps: BigInt(f.buyer.bps), fixed: BigInt(f.buyer.fixed) },
      seller: { bps: BigInt(f.seller.bps), fixed: BigInt(f.seller.fixed) },
    };
  }
  const railCurrencies = Object.fromEntries(
    RAILS.map((r) => [r, DEFAULT_RAIL_CURRENCIES[r].filter((c) => c in currencyExponents)]),
  ) as Record<Rail, string[]>;

  return {
    env,
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    host: env.HOST,
    ...(env.METRICS_PORT !== undefined ? { metricsPort: env.METRICS_PORT } : {}),
    http: {
      ...(env.JWT_SECRET ? { jwtSecret: env.JWT_SECRET } : {}),
      ...(env.JWT_JWKS_URL ? { jwksUrl: env.JWT_JWKS_URL } : {}),
      corsOrigins: env.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      maintenanceMode: env.MAINTENANCE_MODE,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      rateLimit: {
        perIpPerMinute: env.RATE_LIMIT_PER_IP_PER_MINUTE,
        perUserPerMinute: env.RATE_LIMIT_PER_USER_PER_MINUTE,
      },
      ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
      idempotency: {
        storage: env.IDEMPOTENCY_STORAGE,
        ttlMs: Math.round(env.IDEMPOTENCY_TTL_HOURS * 3_600_000),
        lockMs: Math.round(env.IDEMPOTENCY_LOCK_SECONDS * 1000),
      },
    },
    apiUrl: env.API_URL ?? `http://localhost:${env.PORT}`,
    database: env.DATABASE_URL
      ? {
          mode: 'postgres',
          url: env.DATABASE_URL,
          poolSize: env.DATABASE_POOL_SIZE,
          timeoutMs: env.DATABASE_POOL_TIMEOUT,
          ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}),
        }
      : { mode: 'pglite', dataDir: env.DATA_DIR },
    rails: rails as Rail[],
    sandbox: { enabled: sandboxEnabled, webhookSecret: env.SANDBOX_WEBHOOK_SECRET ?? DEV_SANDBOX_SECRET },
    policy: {
      paymentDeadlineDays: env.ESCROW_PAYMENT_DEADLINE_DAYS,
      autoRefundDeadlineDays: env.ESCROW_AUTO_REFUND_DEADLINE_DAYS,
      fees,
      railCurrencies,
      currencyExponents,
    },
    timeouts: {
      pollIntervalMs: Math.round(env.ESCROW_TIMEOUT_POLL_INTERVAL_MINUTES * 60_000),
      deliveredAction: env.ESCROW_DELIVERED_TIMEOUT_ACTION,
      autoRefund: env.FEATURE_AUTO_REFUND,
    },
    settlements: {
      maxRetries: env.ESCROW_MAX_RETRIES,
      retryDelayMs: env.ESCROW_RETRY_DELAY_MS,
      batchSize: env.ESCROW_SETTLEMENT_BATCH_SIZE,
    },
    outbox: {
      pollIntervalMs: env.OUTBOX_POLL_INTERVAL_MS,
      batchSize: env.OUTBOX_BATCH_SIZE,
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
    },
    ...(env.KAFKA_BROKERS
      ? {
          kafka: {
            brokers: env.KAFKA_BROKERS.split(','),
            clientId: env.KAFKA_CLIENT_ID,
            groupId: env.KAFKA_GROUP_ID,
            commandsTopic: env.KAFKA_COMMANDS_TOPIC,
            eventsTopic: env.KAFKA_EVENTS_TOPIC,
            ssl: env.KAFKA_SSL_ENABLED,
            ...(env.KAFKA_SASL_MECHANISM
              ? {
                  sasl: {
                    mechanism: env.KAFKA_SASL_MECHANISM,
                    username: env.KAFKA_SASL_USERNAME ?? '',
                    password: env.KAFKA_SASL_PASSWORD ?? '',
                  },
                }
              : {}),
            topics: {
              commandsPartitions: env.KAFKA_COMMANDS_PARTITIONS,
              eventsPartitions: env.KAFKA_EVENTS_PARTITIONS,
              replicationFactor: env.KAFKA_REPLICATION_FACTOR,
              retentionDays: env.KAFKA_RETENTION_DAYS,
            },
            replyTimeoutMs: env.COMMAND_REPLY_TIMEOUT_MS,
            lingerMs: env.KAFKA_LINGER_MS,
            worker: {
              maxInFlight: env.WORKER_MAX_IN_FLIGHT,
              maxAttempts: env.WORKER_MAX_ATTEMPTS,
              sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
              fetchMaxWaitMs: env.KAFKA_FETCH_MAX_WAIT_MS,
            },
          },
        }
      : {}),
  };
}
