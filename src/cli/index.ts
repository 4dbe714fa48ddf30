#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { migrate } from '../adapters/db/migrate.js';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { DomainError } from '../domain/index.js';
import { API_ROLES, dataDirSecret, mintToken, type ApiRole } from '../http/auth.js';
import { createEngine, createLogger, openDatabase, ROLES, type RoleName } from '../main.js';
import { consumerLag, createKafka, createTopics } from '../adapters/kafka/client.js';
import { isUuid } from '../app/ids.js';

const USAGE = `escrow — Escrow Services engine and operations CLI

Usage:
  escrow migrate                         apply pending database migrations
  escrow serve [--roles a,b]             run roles (default: all of ${ROLES.join(', ')})
  escrow token --sub ID --role user|service|admin [--kyc-tier N] [--ttl 24h]
                                         mint a JWT signed with JWT_SECRET (or the embedded data directory's secret)
  escrow sandbox pay <escrowId|ref> [--fail] [--amount N] [--currency C]
                                         simulate the buyer paying through a signed sandbox webhook
  escrow timeouts run [--dry-run]        apply due payment and confirmation deadlines once
  escrow verify                          check ledger balance, fold(events) = row, references; exit 1 on violations
  escrow outbox status                   unpublished events, the oldest one's age, dead letters; exit 1 if degraded
  escrow outbox dlq [--limit N]          dead-lettered events with their last error
  escrow outbox replay --all | --id N [--id N ...] | --escrow ID
                                         send dead letters again (all, or by outbox id), or re-publish an escrow's events
  escrow kafka create-topics             create the commands, events and DLQ topics (partitions, retention, snappy)
  escrow kafka lag                       the worker group's lag on the commands topic, per partition

Configuration comes from the environment (see README). Exit codes: 0 ok, 1 failure or violations, 2 usage error.`;

const print = (v: unknown) =>
  process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`);

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        roles: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        fail: { type: 'boolean', default: false },
        amount: { type: 'string' },
        currency: { type: 'string' },
        sub: { type: 'string' },
        role: { type: 'string' },
        'kyc-tier': { type: 'string' },
        ttl: { type: 'string' },
        all: { type: 'boolean', default: false },
        id: { type: 'string', multiple: true },
        escrow: { type: 'string' },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const [cmd, sub, arg] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!cmd) return usage('no command given');
  const config = loadConfig();

  switch (cmd) {
    case 'migrate': {
      const db = await openDatabase(config);
      try {
        const applied = await migrate(db);
        print({ applied, database: config.database.mode });
        return 0;
      } finally {
        await db.close();
      }
    }
    case 'serve':
      return serve(config, values.roles);
    case 'token': {
      const role = values.role as ApiRole | undefined;
      if (!values.sub || !role || !API_ROLES.includes(role)) {
        return usage('escrow token --sub ID --role user|service|admin [--kyc-tier N]');
      }
      const tier = values['kyc-tier'] === undefined ? undefined : Number(values['kyc-tier']);
      if (tier !== undefined && !Number.isInteger(tier)) return usage('--kyc-tier must be an integer');
      const secret =
        config.http.jwtSecret ?? (config.database.mode === 'pglite' ? dataDirSecret(config.database.dataDir) : null);
      if (!secret) return usage('JWT_SECRET is not set');
      process.stdout.write(
        `${await mintToken(secret, { sub: values.sub, role, ...(tier !== undefined ? { kycTier: tier } : {}) }, values.ttl ?? '24h')}\n`,
      );
      return 0;
    }
    case 'sandbox': {
      if (sub !== 'pay' || !arg) return usage('escrow sandbox pay <escrowId|reference>');
      return withEngine(config, async (engine) => {
        const r = await engine.simulator.pay(arg, {
          outcome: values.fail ? 'fail' : 'succeed',
          ...(values.amount ? { amount: values.amount } : {}),
          ...(values.currency ? { currency: values.currency } : {}),
        });
        print(r.outcome);
        return r.outcome.status === 'failed' ? 1 : 0;
      });
    }
    case 'timeouts': {
      if (sub !== 'run') return usage('escrow timeouts run [--dry-run]');
      return withEngine(config, async (engine) => {
        print(await engine.timeouts.runOnce({ dryRun: values['dry-run'] }));
        return 0;
      });
    }
    case 'verify':
      return withEngine(config, async (engine) => {
        const report = await engine.verify();
        print({ ok: report.violations.length === 0, ...report });
        return report.violations.length === 0 ? 0 : 1;
      });
    case 'outbox': {
      if (sub === 'status') {
        return withEngine(config, async (engine) => {
          const o = await engine.outboxStore.stats();
          // the runbook's thresholds, as /health uses them
          const degraded = o.unpublished > 100 || o.oldestAgeSeconds > 300;
          print({ status: degraded ? 'degraded' : 'ok', ...o });
          return degraded ? 1 : 0;
        });
      }
      if (sub === 'dlq') {
        const limit = values.limit ? Number(values.limit) : 100;
        if (!Number.isInteger(limit) || limit < 1) return usage('--limit must be a positive integer');
        return withEngine(config, async (engine) => {
          print(await engine.outboxStore.deadLetters(limit));
          return 0;
        });
      }
      if (sub === 'replay') {
        const ids = values.id ?? [];
        const chosen = [values.all, ids.length > 0, Boolean(values.escrow)].filter(Boolean).length;
        if (chosen !== 1) return usage('escrow outbox replay --all | --id N [--id N ...] | --escrow ID');
        if (ids.some((i) => !/^\d+$/.test(i))) return usage('--id takes outbox row ids (escrow outbox dlq lists them)');
        if (values.escrow && !isUuid(values.escrow)) return usage('--escrow takes an escrow id');
        return withEngine(config, async (engine) => {
          const queued = await engine.outboxStore.replay(
            values.all ? { allDead: true } : values.escrow ? { escrowId: values.escrow } : { ids },
          );
          print({ queued });
          return 0;
        });
      }
      return usage('escrow outbox status | dlq | replay');
    }
    case 'kafka': {
      if (!config.kafka) return usage('KAFKA_BROKERS is not set');
      const kafka = createKafka(config.kafka, createLogger(config));
      if (sub === 'create-topics') {
        print({ created: await createTopics(kafka, config.kafka) });
        return 0;
      }
      if (sub === 'lag') {
        const admin = kafka.admin();
        await admin.connect();
        const partitions = await consumerLag(admin, config.kafka.groupId, config.kafka.commandsTopic).finally(() =>
          admin.disconnect(),
        );
        print({
          group: config.kafka.groupId,
          topic: config.kafka.commandsTopic,
          total: partitions.reduce((n, p) => n + p.lag, 0),
          partitions,
        });
        return 0;
      }
      return usage('escrow kafka create-topics | lag');
    }
    default:
      return usage(`unknown command ${cmd}`);
  }
}

function usage(msg: string): number {
  process.stderr.write(`${msg}\n\n${USAGE}\n`);
  return 2;
}

async function withEngine(config: Config, fn: (e: Awaited<ReturnType<typeof createEngine>>) => Promise<number>) {
  const engine = await createEngine({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  try {
    return await fn(engine);
  } finally {
    await engine.stop();
  }
}

async function serve(config: Config, rolesArg: string | undefined): Promise<number> {
  const roles = (rolesArg ? rolesArg.split(',').map((r) => r.trim()) : [...ROLES]) as RoleName[];
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length) return usage(`unknown role(s) ${unknown.join(', ')}; available: ${ROLES.join(', ')}`);
  const engine = await createEngine(config);
  const { port } = await engine.start(roles);
  engine.logger.info({ roles, database: config.database.mode }, 'escrow engine started');
  if (port !== undefined) {
    const base = `http://localhost:${port}`;
    const lines = [`Escrow Services listening on ${base}`, `API docs: ${base}/docs (OpenAPI: ${base}/openapi.json)`];
    if (!config.http.jwksUrl) {
      const admin = await mintToken(engine.jwtSecret(), { sub: 'admin', role: 'admin' }, '24h');
      lines.push(`Admin token (24 h): ${admin}`, 'More tokens: escrow token --sub ID --role user|service|admin');
    }
    process.stdout.write(`\n${lines.join('\n')}\n\n`);
  }
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      engine.logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  await engine.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof DomainError) process.stderr.write(`${err.code}: ${err.message}\n`);
    else process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
