import { SHIPPED_RAILS, configureRails } from '../adapters/rails/registry.js';
import { configureRisk } from '../adapters/risk/config.js';
import { configureStorage } from '../adapters/storage/config.js';
import { configureVault } from '../adapters/vault/config.js';
import { RAILS } from '../domain/index.js';
import { schema } from './schema.js';
import {
  crossVariableProblems,
  databaseSection,
  httpSection,
  kafkaSection,
  policySection,
  workerSections,
} from './sections.js';
import type { Config } from './types.js';
import { unsupportedVariables } from './unsupported.js';
import { approvalProblems, approvalSection } from './approvals.js';
import { webhookProblems, webhookSection } from './webhooks.js';

export type { KafkaConfig } from '../adapters/kafka/settings.js';
export type { Env } from './schema.js';
export type { Config } from './types.js';

/** Raised with every problem found at once, so an operator fixes the environment in one pass. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** ESCROW_RAILS: known rails this version has an adapter for. */
function listedRails(raw: Readonly<Record<string, string>>): { listed: string[]; problems: string[] } {
  const listed = (raw.ESCROW_RAILS ?? 'SANDBOX').split(',').map((r) => r.trim().toUpperCase());
  const problems: string[] = [];
  for (const r of listed) {
    if (!(RAILS as readonly string[]).includes(r))
      problems.push(`ESCROW_RAILS: unknown rail ${r} (${RAILS.join(', ')})`);
    else if (!(SHIPPED_RAILS as readonly string[]).includes(r)) {
      problems.push(
        `ESCROW_RAILS: the ${r} adapter is not available in this version (it has: ${SHIPPED_RAILS.join(', ')})`,
      );
    }
  }
  return { listed, problems };
}

/** Parses and validates the environment once. Throws ConfigError naming every missing or malformed variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(
    Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const parsed = schema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`);
  const { listed, problems: railListProblems } = listedRails(raw);
  problems.push(...railListProblems);
  const port = parsed.success ? parsed.data.PORT : 3000;
  const apiUrl = (parsed.success ? parsed.data.API_URL : undefined) ?? `http://localhost:${port}`;
  const rails = configureRails(raw, listed, { production: raw.NODE_ENV === 'production', apiUrl });
  const risk = configureRisk(raw, { production: raw.NODE_ENV === 'production' });
  const vault = configureVault(raw, { production: raw.NODE_ENV === 'production' });
  const storage = configureStorage(raw, {
    production: raw.NODE_ENV === 'production',
    dataDir: raw.DATA_DIR ?? './data',
  });
  problems.push(...rails.problems, ...risk.problems, ...vault.problems, ...storage.problems);
  problems.push(...crossVariableProblems(raw));
  problems.push(...approvalProblems(raw), ...webhookProblems(raw));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  const kafka = kafkaSection(env);
  return {
    env,
    nodeEnv: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    host: env.HOST,
    ...(env.METRICS_PORT !== undefined ? { metricsPort: env.METRICS_PORT } : {}),
    http: httpSection(env),
    apiUrl,
    database: databaseSection(env),
    rails: rails.rails,
    risk: risk.settings,
    vault: vault.settings,
    storage: storage.settings,
    policy: policySection(env),
    approvals: approvalSection(env),
    webhooks: webhookSection(env),
    ...workerSections(env),
    ...(kafka ? { kafka } : {}),
    warnings: unsupportedVariables(raw),
  };
}
