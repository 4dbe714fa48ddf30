import { InvalidArgumentError, type Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

/** `escrow outbox dlq`: dead-lettered events with their last error, oldest first. */
export function registerOutboxDlq(outbox: Command, ctx: CliContext): void {
  const cmd = outbox
    .command('dlq')
    .description('dead-lettered events with their last error')
    .option('--limit <n>', 'list at most this many', parseLimit, 100)
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow outbox dlq', 'escrow outbox dlq --limit 20'],
    output:
      'JSON on stdout: [{"id", "eventId", "escrowId", "eventType", "sequence", "attempts", "lastError", "deadLetteredAt"}]',
    notes: ['The ids are what `escrow outbox replay --id` takes.'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { limit } = cmd.opts<{ limit: number }>();
      return withBackend(ctx.config(), async (backend) => {
        ctx.print(await backend.deadLetters(limit));
        return EXIT.ok;
      });
    }),
  );
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (value.trim() === '' || !Number.isInteger(limit) || limit < 1) {
    throw new InvalidArgumentError('--limit must be a positive integer');
  }
  return limit;
}
