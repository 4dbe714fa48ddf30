import type { Command } from 'commander';
import { withBackend } from '../engine.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

/** `escrow migrate`: pending numbered migrations, under the runner's advisory lock. */
export function registerMigrate(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('migrate')
    .description('apply pending numbered migrations (migrations/*.sql) under an advisory lock')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow migrate', 'DATABASE_URL=postgres://escrow@db:5432/escrow escrow migrate'],
    output: 'JSON on stdout: {"applied": [the migrations applied now], "database": "pglite" | "postgres"}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const config = ctx.config();
      return withBackend(config, async (backend) => {
        // a running embedded server migrated its directory when it started: it then reports none applied
        ctx.print({ applied: (await backend.migrate()).applied, database: config.database.mode });
        return EXIT.ok;
      });
    }),
  );
}
