import type { Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

/** `escrow timeouts run`: one pass of the timeouts worker, through the command path. */
export function registerTimeoutsRun(timeouts: Command, ctx: CliContext): void {
  const cmd = timeouts
    .command('run')
    .description('apply due payment and confirmation deadlines once, through the command path')
    .option('--dry-run', 'list what is due and change nothing')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow timeouts run --dry-run', 'escrow timeouts run'],
    output: 'JSON on stdout: {"expired", "deliveryTimeouts", "skipped", "due": [{"kind", "escrowId", "deadline"}]}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { dryRun = false } = cmd.opts<{ dryRun?: boolean }>();
      return withBackend(ctx.config(), async (backend) => {
        const { expired, deliveryTimeouts, skipped, due } = await backend.timeouts(dryRun);
        ctx.print({ expired, deliveryTimeouts, skipped, due });
        return EXIT.ok;
      });
    }),
  );
}
