import { isIP } from 'node:net';
import { z } from 'zod';
import { railVariables } from '../adapters/rails/registry.js';
import { riskVariables } from '../adapters/risk/config.js';
import { storageVariables } from '../adapters/storage/config.js';
import { webhookVariables } from './webhooks.js';
import { vaultVariables } from '../adapters/vault/config.js';
import { approvalVariables } from './approvals.js';
import { perCurrencyAmounts } from './perCurrency.js';
import {
  DEFAULT_RAIL_CURRENCIES,
  MAX_MINOR,
  MINOR_UNITS_PATTERN,
  RAILS,
  type AmountRange,
  type Rail,
} from '../domain/index.js';

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
  .pipe(z.partialRecord(z.enum(RAILS), z.object({ buyer: feeRule, seller: feeRule }).strict()));

/** ESCROW_RAIL_LIMITS as parsed: the rail and currency pairs it replaces (policySection merges them over the defaults). */
export type RailLimitOverrides = Partial<Record<Rail, Record<string, AmountRange>>>;

type IssueSink = (path: string[], message: string) => void;
const RAIL_LIMITS_EXAMPLE = '{"STRIPE":{"USD":{"min":"50","max":"1000000"}}}';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * ESCROW_RAIL_LIMITS: JSON rail → currency → {min, max} in minor units as digit strings (max null: no upper limit),
 * bounding what the buyer pays per escrow. Every problem is one line naming its place, e.g.
 * `ESCROW_RAIL_LIMITS.STRIPE.USD.max: must be …`.
 */
const railLimitsJson = z.string().transform((s, ctx): RailLimitOverrides => {
  const issue: IssueSink = (path, message) => ctx.addIssue({ code: 'custom', message, path });
  let value: unknown;
  try {
    value = JSON.parse(s);
  } catch {
    issue([], `must be JSON, like ${RAIL_LIMITS_EXAMPLE}`);
    return z.NEVER;
  }
  if (!isObject(value)) {
    issue([], `must be a JSON object of rail → currency → {min, max}, like ${RAIL_LIMITS_EXAMPLE}`);
    return z.NEVER;
  }
  const out: RailLimitOverrides = {};
  for (const [rail, currencies] of Object.entries(value)) {
    if (!(RAILS as readonly string[]).includes(rail)) issue([rail], `unknown rail (one of ${RAILS.join(', ')})`);
    else if (!isObject(currencies)) issue([rail], 'must be an object of currency → {min, max}');
    else out[rail as Rail] = railRanges(rail as Rail, currencies, issue);
  }
  return ctx.issues.length > 0 ? z.NEVER : out;
});

function railRanges(rail: Rail, currencies: Record<string, unknown>, issue: IssueSink): Record<string, AmountRange> {
  const out: Record<string, AmountRange> = {};
  for (const [currency, range] of Object.entries(currencies)) {
    const at = [rail, currency];
    if (!/^[A-Z]{3,5}$/.test(currency)) issue(at, 'must be a currency code of 3-5 capital letters, like USD');
    else if (!DEFAULT_RAIL_CURRENCIES[rail].includes(currency)) {
      issue(at, `${rail} does not take ${currency} (it takes ${DEFAULT_RAIL_CURRENCIES[rail].join(', ')})`);
    } else if (!isObject(range)) issue(at, 'must be an object {"min": "…", "max": "…" or null}');
    else {
      const parsed = amountRange(at, range, issue);
      if (parsed) out[currency] = parsed;
    }
  }
  return out;
}

function amountRange(at: string[], range: Record<string, unknown>, issue: IssueSink): AmountRange | null {
  const extra = Object.keys(range).filter((k) => k !== 'min' && k !== 'max');
  if (extra.length > 0) issue(at, `unknown key ${extra.map((k) => JSON.stringify(k)).join(', ')} (only min and max)`);
  const min = minorUnits(range.min, [...at, 'min'], issue, false);
  const max = minorUnits(range.max, [...at, 'max'], issue, true);
  if (min == null || max === undefined || extra.length > 0) return null;
  if (max !== null && max < 1n) {
    issue(
      [...at, 'max'],
      'must be at least 1: 0 would refuse every escrow (to stop a currency, leave it out of ESCROW_CURRENCIES)',
    );
    return null;
  }
  if (max !== null && min > max) {
    issue(at, `min ${min} is above max ${max}`);
    return null;
  }
  return { min, max };
}

const MINOR_UNITS = new RegExp(MINOR_UNITS_PATTERN);

/** A digit string of minor units within the engine's range; `null` too where it may be. undefined: refused. */
function minorUnits(v: unknown, at: string[], issue: IssueSink, nullable: boolean): bigint | null | undefined {
  if (v === null && nullable) return null;
  if (typeof v === 'string' && MINOR_UNITS.test(v) && BigInt(v) <= MAX_MINOR) return BigInt(v);
  const what = v === undefined ? 'required: ' : 'must be ';
  issue(
    at,
    `${what}a digit string of minor units from 0 to ${MAX_MINOR}, in quotes, like "50"${nullable ? ', or null for no upper limit' : ''}`,
  );
  return undefined;
}

/**
 * TRUST_PROXY (Fastify's `trustProxy`): `false`, `true` (trust every hop), a hop count, or a comma list of proxy
 * addresses / CIDRs (or proxy-addr's `loopback`, `linklocal`, `uniquelocal`) whose X-Forwarded-For is believed.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((raw, ctx): boolean | number | string[] => {
    const v = raw.trim();
    if (v === 'false' || v === '') return false;
    if (v === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v) === 0 ? false : Number(v);
    const list = v.split(',').map((a) => a.trim());
    const bad = list.filter((a) => !isProxyAddress(a));
    if (bad.length === 0) return list;
    ctx.addIssue({
      code: 'custom',
      message: `must be false, true, a hop count or a comma list of addresses/CIDRs (not ${bad.join(', ')})`,
    });
    return z.NEVER;
  });
function isProxyAddress(a: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(a)) return true;
  const [ip, prefix, more] = a.split('/');
  const family = isIP(ip ?? '');
  if (family === 0 || more !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Every variable outside the rails' own sections (those come from the rail plug-ins). */
export const coreVariables = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  API_URL: url.optional(),
  JWT_SECRET: z.string().min(64, 'must be at least 64 characters').optional(),
  JWT_JWKS_URL: url.optional(),
  JWT_MAX_LIFETIME_HOURS: z.coerce.number().positive().max(8760).default(24),
  // a rotation's overlap: tokens signed with the previous secret verify until JWT_SECRET_PREVIOUS_UNTIL
  JWT_SECRET_PREVIOUS: z.string().min(64, 'must be at least 64 characters').optional(),
  JWT_SECRET_PREVIOUS_UNTIL: z.iso
    .datetime({ offset: true, error: 'must be an ISO-8601 instant with its zone, e.g. 2026-12-09T12:00:00Z' })
    .optional(),
  JWT_ISSUER: z.string().max(256, 'must be at most 256 characters').optional(),
  JWT_AUDIENCE: z.string().max(256, 'must be at most 256 characters').optional(),
  CORS_ORIGINS: z.string().default(''),
  // the start-up default of the emergency pause (`escrow pause --scope all`), in force until `escrow resume`
  MAINTENANCE_MODE: bool(false),
  HTTP_BODY_LIMIT_BYTES: int(262_144, 1024, 10_485_760),
  // Slow clients (issue 10 §3): a whole request, its headers and an idle keep-alive connection are bounded in time,
  // connections in number; the accept queue is sized for bursts (the kernel caps it at net.core.somaxconn).
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 1000, 600_000),
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 500, 600_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(72_000, 1000, 600_000),
  HTTP_MAX_CONNECTIONS: int(10_000, 1, 1_000_000),
  HTTP_LISTEN_BACKLOG: int(2048, 1, 65_535),
  RATE_LIMIT_PER_IP_PER_MINUTE: int(100, 1, 1_000_000),
  RATE_LIMIT_PER_USER_PER_MINUTE: int(50, 1, 1_000_000),
  RATE_LIMIT_SERVICE_PER_MINUTE: int(1000, 1, 1_000_000),
  RATE_LIMIT_ADMIN_PER_MINUTE: int(300, 1, 1_000_000),
  TRUST_PROXY: trustProxy,
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(300).default(2),
  HEARTBEAT_STALE_SECONDS: z.coerce.number().min(1).max(3600).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  // `database` is the deployment guide's name for the same thing: the engine's own database (PGlite included).
  IDEMPOTENCY_STORAGE: z
    .enum(['postgres', 'database', 'redis'])
    .default('postgres')
    .transform((v) => (v === 'database' ? 'postgres' : v)),
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
  // 0 turns these off: the longest a statement may run, and the duration from which it is logged as a "slow query".
  DATABASE_STATEMENT_TIMEOUT_MS: int(60_000, 0, 3_600_000),
  SLOW_QUERY_MS: int(500, 0, 600_000),
  DATA_DIR: z.string().min(1).default('./data'),

  ESCROW_PAYMENT_DEADLINE_DAYS: int(7, 1, 365),
  ESCROW_AUTO_REFUND_DEADLINE_DAYS: int(7, 1, 365),
  ESCROW_TIMEOUT_POLL_INTERVAL_MINUTES: z.coerce.number().positive().max(1440).default(5),
  ESCROW_MAX_RETRIES: int(3, 1, 100),
  /** The reconciler role: how often it runs, and how old an unpaid escrow / a pending settlement must be to be asked. */
  RECONCILE_INTERVAL_SECONDS: int(300, 10, 86_400),
  RECONCILE_PAYMENT_AFTER_MINUTES: int(15, 1, 10_080),
  RECONCILE_SETTLEMENT_AFTER_MINUTES: int(10, 1, 10_080),
  /** How far back the three-way report checks funded escrows and succeeded settlements. */
  RECONCILE_WINDOW_HOURS: int(24, 1, 720),
  ESCROW_RETRY_DELAY_MS: int(1000, 1, 3_600_000),
  ESCROW_SETTLEMENT_BATCH_SIZE: int(50, 1, 1000),
  ESCROW_DELIVERED_TIMEOUT_ACTION: z.enum(['REFUND', 'RELEASE']).default('REFUND'),
  ESCROW_RAILS: z.string().default('SANDBOX'),
  ESCROW_FEES: feeJson.optional(),
  ESCROW_RAIL_LIMITS: railLimitsJson.optional(),
  ESCROW_CURRENCIES: z
    .string()
    .regex(/^[A-Z]{3,5}:\d(,[A-Z]{3,5}:\d)*$/, 'must look like USD:2,EUR:2,USDC:6')
    .optional(),

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
  FEATURE_MILESTONE_ESCROWS: bool(true),
  FEATURE_KYC_GATING: bool(true),
  /** Per currency, minor units: escrows with a larger amount need both parties at KYC tier ≥ 1. */
  KYC_THRESHOLD_AMOUNT: perCurrencyAmounts('USD:100000,NGN:50000000'),
  DISPUTE_SLA_DAYS: int(7, 1, 365),
  DISPUTE_RESPOND_DAYS: int(3, 1, 365),
  VAULT_REVEAL_STARTS_CONFIRMATION: bool(false),
};

/** Every variable: the core ones and each shipped rail's section. */
export const schema = z.object({
  ...coreVariables,
  ...railVariables(),
  ...riskVariables,
  ...vaultVariables,
  ...approvalVariables,
  ...webhookVariables,
  ...storageVariables,
});
export type Env = z.infer<typeof schema>;
