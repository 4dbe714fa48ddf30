import type { Command } from 'commander';
import { migrate } from '../../adapters/db/migrate.js';
import { openDatabase } from '../../main.js';
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
      const db = await openDatabase(config);
      try {
        ctx.print({ applied: await migrate(db), database: config.database.mode });
        return EXIT.ok;
      } finally {
        await db.close();
      }
    }),
  );
}
