import { InvalidArgumentError, type Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { CliFailure, EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

interface SkipOptions {
  id: string;
  reason: string;
  dryRun?: boolean;
}

/**
 * `escrow outbox skip`: gives up on a dead letter for good. An escrow's later events wait behind its dead letter; once
 * it is skipped they go out (a replay would instead send the dead one first). Audited as `outbox.skip`.
 */
export function registerOutboxSkip(outbox: Command, ctx: CliContext): void {
  const cmd = outbox
    .command('skip')
    .description("give up on a dead letter for good, so its escrow's later events go out")
    .requiredOption('--id <n>', 'the dead letter by its outbox id (escrow outbox dlq lists them)', parseId)
    .requiredOption('--reason <text>', 'why (kept in the audit row)')
    .option('--dry-run', 'only say whether it would be skipped (it is a dead letter), changing nothing')
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow outbox skip --id 42 --reason "the consumer rejects this event for good" --dry-run',
      'escrow outbox skip --id 42 --reason "the consumer rejects this event for good"',
    ],
    output:
      'JSON on stdout: {"id", "skipped": true, "escrowId", "eventId"} (a dry run: {"id", "skipped": true, "dryRun": true})',
    notes: [
      'The skipped event is never published; to send it after all, replay it instead (escrow outbox replay --id N).',
    ],
    failure: 'the id is not a dead letter (or any failure)',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { id, reason, dryRun = false } = cmd.opts<SkipOptions>();
      if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      return withBackend(ctx.config(), async (backend) => {
        const outcome = await backend.outboxSkip(id, reason, dryRun);
        if (!outcome.skipped) {
          throw new CliFailure(`outbox row ${id} is not a dead letter (escrow outbox dlq lists them); nothing changed`);
        }
        ctx.print(skipOutput(id, outcome));
        return EXIT.ok;
      });
    }),
  );
}

/** What `escrow outbox skip` prints, whichever way it ran. */
function skipOutput(id: string, o: Record<string, unknown>): Record<string, unknown> {
  if (o.dryRun === true) return { id, skipped: true, dryRun: true };
  return { id, skipped: true, escrowId: o.escrowId, eventId: o.eventId };
}

function parseId(value: string): string {
  if (!/^[0-9]{1,19}$/.test(value)) throw new InvalidArgumentError('--id takes an outbox row id (escrow outbox dlq)');
  return value;
}
