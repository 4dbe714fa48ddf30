import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Config } from '../../config/index.js';
import { mintToken } from '../../http/auth.js';
import { createEngine, ROLES, type Engine, type RoleName } from '../../main.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';

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
    output: 'with the api role, its address, the API docs and (without JWKS_URL) a 24-hour admin token on stdout',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { roles } = cmd.opts<{ roles: readonly RoleName[] }>();
      const config = ctx.config();
      const engine = await createEngine(config);
      const { port } = await engine.start(roles);
      engine.logger.info({ roles, database: config.database.mode }, 'escrow engine started');
      // Once, at start: a variable that is set but does nothing here must not pass for configuration.
      for (const warning of config.warnings) engine.logger.warn({ variable: warning.split(' ')[0] }, warning);
      if (port !== undefined) ctx.io.out(`\n${(await startupLines(engine, config, port)).join('\n')}\n\n`);
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

async function startupLines(engine: Engine, config: Config, port: number): Promise<string[]> {
  const base = `http://localhost:${port}`;
  const lines = [`Escrow Services listening on ${base}`, `API docs: ${base}/docs (OpenAPI: ${base}/openapi.json)`];
  if (!config.http.jwksUrl) {
    // As long as the API accepts (JWT_MAX_LIFETIME_HOURS), at most 24 h.
    const seconds = Math.min(86_400, config.http.maxTokenLifetimeSeconds);
    const admin = await mintToken(engine.jwtSecret(), { sub: 'admin', role: 'admin' }, `${seconds}s`);
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
