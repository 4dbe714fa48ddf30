import { amountsOf, perCurrencyProblems } from './perCurrency.js';
import type { KafkaConfig } from '../adapters/kafka/settings.js';
import {
  DEFAULT_CURRENCY_EXPONENTS,
  DEFAULT_FEES,
  DEFAULT_RAIL_CURRENCIES,
  DEFAULT_RAIL_LIMITS,
  RAILS,
  type EscrowPolicy,
  type FeeSchedule,
  type Rail,
  type RailLimits,
} from '../domain/index.js';
import type { Env } from './schema.js';
import type { Config } from './types.js';

/**
 * Rules across variables, read from the raw values so that one run reports every problem. Each message says all the
 * value it asks for needs (a length, a scheme), so that doing what it says does not bring up a new problem next start.
 */
export function crossVariableProblems(raw: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  if (raw.DATABASE_URL && !raw.JWT_SECRET && !raw.JWT_JWKS_URL) {
    // Embedded mode keeps a generated secret in its data directory; a shared database needs a shared secret.
    problems.push('JWT_SECRET: required when DATABASE_URL is set: at least 64 characters (or JWT_JWKS_URL)');
  }
  problems.push(...jwtRotationProblems(raw));
  if (raw.KAFKA_SASL_MECHANISM && (!raw.KAFKA_SASL_USERNAME || !raw.KAFKA_SASL_PASSWORD)) {
    problems.push('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM');
  }
  const [beat, stale] = [Number(raw.HEARTBEAT_INTERVAL_SECONDS ?? 2), Number(raw.HEARTBEAT_STALE_SECONDS ?? 10)];
  if (beat > 0 && stale > 0 && stale < 2 * beat) {
    problems.push('HEARTBEAT_STALE_SECONDS: must be at least twice HEARTBEAT_INTERVAL_SECONDS');
  }
  problems.push(...perCurrencyProblems('KYC_THRESHOLD_AMOUNT', raw));
  if (raw.IDEMPOTENCY_STORAGE === 'redis' && !raw.REDIS_URL) {
    problems.push('IDEMPOTENCY_STORAGE: redis needs REDIS_URL (redis:// or rediss://)');
  }
  return problems;
}

/** JWT_SECRET_PREVIOUS: a rotation's old secret, with the instant its tokens stop verifying. */
function jwtRotationProblems(raw: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  if (raw.JWT_SECRET_PREVIOUS && !raw.JWT_SECRET_PREVIOUS_UNTIL) {
    problems.push(
      'JWT_SECRET_PREVIOUS_UNTIL: required with JWT_SECRET_PREVIOUS: the ISO-8601 instant its tokens stop ' +
        'verifying (e.g. 2026-12-09T12:00:00Z, at least JWT_MAX_LIFETIME_HOURS after the rotation)',
    );
  }
  if (raw.JWT_SECRET_PREVIOUS_UNTIL && !raw.JWT_SECRET_PREVIOUS) {
    problems.push('JWT_SECRET_PREVIOUS_UNTIL: only with JWT_SECRET_PREVIOUS (the old secret it retires)');
  }
  if (raw.JWT_SECRET_PREVIOUS && !raw.JWT_SECRET) {
    problems.push('JWT_SECRET_PREVIOUS: only with JWT_SECRET (the new secret, ≥ 64 characters, which signs)');
  }
  if (raw.JWT_SECRET_PREVIOUS && raw.JWT_SECRET_PREVIOUS === raw.JWT_SECRET) {
    problems.push('JWT_SECRET_PREVIOUS: must differ from JWT_SECRET (the new secret)');
  }
  return problems;
}

export function httpSection(env: Env): Config['http'] {
  return {
    ...(env.JWT_SECRET ? { jwtSecret: env.JWT_SECRET } : {}),
    ...(env.JWT_JWKS_URL ? { jwksUrl: env.JWT_JWKS_URL } : {}),
    maxTokenLifetimeSeconds: Math.round(env.JWT_MAX_LIFETIME_HOURS * 3600),
    ...(env.JWT_SECRET_PREVIOUS && env.JWT_SECRET_PREVIOUS_UNTIL
      ? { jwtPrevious: { secret: env.JWT_SECRET_PREVIOUS, until: new Date(env.JWT_SECRET_PREVIOUS_UNTIL) } }
      : {}),
    ...(env.JWT_ISSUER ? { jwtIssuer: env.JWT_ISSUER } : {}),
    ...(env.JWT_AUDIENCE ? { jwtAudience: env.JWT_AUDIENCE } : {}),
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    rateLimit: {
      perIpPerMinute: env.RATE_LIMIT_PER_IP_PER_MINUTE,
      perUserPerMinute: env.RATE_LIMIT_PER_USER_PER_MINUTE,
      servicePerMinute: env.RATE_LIMIT_SERVICE_PER_MINUTE,
      adminPerMinute: env.RATE_LIMIT_ADMIN_PER_MINUTE,
    },
    trustProxy: env.TRUST_PROXY,
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL } : {}),
    idempotency: {
      storage: env.IDEMPOTENCY_STORAGE,
      ttlMs: Math.round(env.IDEMPOTENCY_TTL_HOURS * 3_600_000),
      lockMs: Math.round(env.IDEMPOTENCY_LOCK_SECONDS * 1000),
    },
  };
}

export function databaseSection(env: Env): Config['database'] {
  return env.DATABASE_URL
    ? {
        mode: 'postgres',
        url: env.DATABASE_URL,
        poolSize: env.DATABASE_POOL_SIZE,
        timeoutMs: env.DATABASE_POOL_TIMEOUT,
        ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}),
      }
    : { mode: 'pglite', dataDir: env.DATA_DIR };
}

export function policySection(env: Env): EscrowPolicy {
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
  // ESCROW_RAIL_LIMITS replaces the pairs it names; every other rail and currency keeps its default.
  const railLimits = Object.fromEntries(
    RAILS.map((r) => [r, { ...DEFAULT_RAIL_LIMITS[r], ...env.ESCROW_RAIL_LIMITS?.[r] }]),
  ) as RailLimits;
  return {
    paymentDeadlineDays: env.ESCROW_PAYMENT_DEADLINE_DAYS,
    autoRefundDeadlineDays: env.ESCROW_AUTO_REFUND_DEADLINE_DAYS,
    fees,
    railCurrencies,
    currencyExponents,
    railLimits,
    milestones: env.FEATURE_MILESTONE_ESCROWS,
    kyc: { enabled: env.FEATURE_KYC_GATING, thresholds: amountsOf(env.KYC_THRESHOLD_AMOUNT), minimumTier: 1 },
    disputeRespondDays: env.DISPUTE_RESPOND_DAYS,
    disputeSlaDays: env.DISPUTE_SLA_DAYS,
    vaultRevealStartsConfirmation: env.VAULT_REVEAL_STARTS_CONFIRMATION,
  };
}

/** What the roles run with; MAINTENANCE_MODE is the start-up default of the emergency pause (every role obeys it). */
export function workerSections(
  env: Env,
): Pick<Config, 'timeouts' | 'settlements' | 'outbox' | 'heartbeats' | 'reconciler' | 'maintenanceMode'> {
  return {
    maintenanceMode: env.MAINTENANCE_MODE,
    reconciler: {
      intervalMs: env.RECONCILE_INTERVAL_SECONDS * 1000,
      paymentAfterMs: env.RECONCILE_PAYMENT_AFTER_MINUTES * 60_000,
      settlementAfterMs: env.RECONCILE_SETTLEMENT_AFTER_MINUTES * 60_000,
      windowMs: env.RECONCILE_WINDOW_HOURS * 3_600_000,
    },
    heartbeats: {
      intervalMs: Math.round(env.HEARTBEAT_INTERVAL_SECONDS * 1000),
      staleMs: Math.round(env.HEARTBEAT_STALE_SECONDS * 1000),
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
  };
}

/** Kafka mode, when KAFKA_BROKERS is set. */
export function kafkaSection(env: Env): KafkaConfig | undefined {
  if (!env.KAFKA_BROKERS) return undefined;
  return {
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
  };
}
