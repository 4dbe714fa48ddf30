import { InvalidArgumentError, Option, type Command } from 'commander';
import { announceDataDirHolder } from '../../adapters/db/dataDirLock.js';
import type { Config } from '../../config/index.js';
import { mintToken } from '../../http/auth.js';
import { createEngine, ROLES, type Engine, type RoleName } from '../../main.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import type { Io } from '../output.js';

/** `escrow serve`: runs the given roles until SIGINT or SIGTERM. */
export function registerServe(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('serve')
    .description('run the given roles until SIGINT/SIGTERM')
    .addOption(
      new Option('--roles <list>', `comma-separated roles: ${ROLES.join(', ')}`)
        .argParser(parseRoles)
        .default(ROLES, 'all'),
    );
  documented(cmd, {
    examples: ['escrow serve', 'escrow serve --roles api', 'escrow serve --roles worker,settlements,timeouts,outbox'],
    output:
      'with the api role, its address and the API docs on stdout; in embedded development mode (no DATABASE_URL, ' +
      'NODE_ENV not production, no JWT_JWKS_URL), and only when stdout is a terminal, a 24-hour admin token',
    notes: [
      'An embedded data directory is locked while it runs: a second serve on it is refused, naming this process,',
      'and the other escrow commands go through this server (its admin API) until it stops.',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { roles } = cmd.opts<{ roles: readonly RoleName[] }>();
      const config = ctx.config();
      const engine = await createEngine(config);
      const { port } = await engine.start(roles);
      if (config.database.mode === 'pglite') {
        // the lock's holder record: what a second opener is told, and where the CLI finds this server
        const url = port === undefined ? undefined : `http://${connectHost(config.host)}:${port}`;
        announceDataDirHolder(config.database.dataDir, { roles, ...(url ? { port, url } : {}) });
      }
      engine.logger.info({ roles, database: config.database.mode }, 'escrow engine started');
      // Once, at start: a variable that is set but does nothing here must not pass for configuration.
      for (const warning of config.warnings) engine.logger.warn({ variable: warning.split(' ')[0] }, warning);
      if (port !== undefined) ctx.io.out(`\n${(await startupLines(engine, config, port, ctx.io)).join('\n')}\n\n`);
      await untilSignal(engine);
      await engine.stop();
      return EXIT.ok;
    }),
  );
}

function parseRoles(value: string): RoleName[] {
  const roles = value.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(`unknown role(s) ${unknown.join(', ')}; available: ${ROLES.join(', ')}`);
  }
  return roles as RoleName[];
}

/** Where a client on this host reaches a server bound to `host`. */
const connectHost = (host: string): string =>
  ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

/**
 * The admin token is a credential: printed only for a developer at a terminal on an embedded data directory, never
 * into a log file, a pipe or a production or PostgreSQL deployment's output.
 */
const printsAdminToken = (config: Config, io: Io): boolean =>
  io.isTTY === true && config.database.mode === 'pglite' && config.nodeEnv !== 'production' && !config.http.jwksUrl;

async function startupLines(engine: Engine, config: Config, port: number, io: Io): Promise<string[]> {
  const base = `http://localhost:${port}`;
  const lines = [`Escrow Services listening on ${base}`, `API docs: ${base}/docs (OpenAPI: ${base}/openapi.json)`];
  if (!config.http.jwksUrl && !printsAdminToken(config, io))
    lines.push('Tokens: escrow token --sub ID --role user|service|admin');
  if (printsAdminToken(config, io)) {
    // As long as the API accepts (JWT_MAX_LIFETIME_HOURS), at most 24 h.
    const seconds = Math.min(86_400, config.http.maxTokenLifetimeSeconds);
    const claims = { issuer: config.http.jwtIssuer, audience: config.http.jwtAudience };
    const admin = await mintToken(engine.jwtSecret(), { sub: 'admin', role: 'admin' }, `${seconds}s`, claims);
    lines.push(
      `Admin token (${Math.round((seconds / 3600) * 100) / 100} h): ${admin}`,
      'More tokens: escrow token --sub ID --role user|service|admin',
    );
  }
  return lines;
}

function untilSignal(engine: Engine): Promise<void> {
  return new Promise((resolve) => {
    const shutdown = (signal: string) => {
      engine.logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
}
