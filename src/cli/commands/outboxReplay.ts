import { InvalidArgumentError, Option, type Command } from 'commander';
import { isUuid } from '../../app/ids.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

interface ReplayOptions {
  all?: boolean;
  id?: string[];
  escrow?: string;
  reason: string;
  dryRun?: boolean;
}

/** `escrow outbox replay`: dead letters queued again, or one escrow's whole stream re-published. */
export function registerOutboxReplay(outbox: Command, ctx: CliContext): void {
  const cmd = outbox
    .command('replay')
    .description("send dead letters again (all, or by outbox id), or re-publish an escrow's events")
    .addOption(new Option('--all', 'every dead letter').conflicts(['id', 'escrow']))
    .option('--id <n>', 'a dead letter by its outbox id (repeatable)', collectId)
    .addOption(new Option('--escrow <id>', 'every event of this escrow').argParser(parseEscrowId).conflicts('id'))
    .option('--reason <text>', 'why (kept in the audit row)', 'escrow outbox replay')
    .option('--dry-run', 'count what would be queued and change nothing')
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow outbox replay --all',
      'escrow outbox replay --id 42 --id 43',
      'escrow outbox replay --escrow 0196f0c2-8a4e-7b1d-9c3a-2f5e6d7c8b9a',
      'escrow outbox replay --all --dry-run',
    ],
    output: 'JSON on stdout: {"queued": the number of events queued for publishing} (and "dryRun": true)',
    notes: ['Consumers deduplicate by event id, so re-publishing an escrow is safe.'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { all, id: ids = [], escrow, reason, dryRun = false } = cmd.opts<ReplayOptions>();
      if (!all && ids.length === 0 && !escrow) usageError(cmd, 'choose one of --all, --id N [--id N ...], --escrow ID');
      if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      return withBackend(ctx.config(), async (backend) => {
        const what = all ? { allDead: true as const } : escrow ? { escrowId: escrow } : { ids };
        const { queued } = await backend.replay(what, reason, dryRun);
        ctx.print({ queued, ...(dryRun ? { dryRun: true } : {}) });
        return EXIT.ok;
      });
    }),
  );
}

function collectId(value: string, previous: string[] = []): string[] {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('--id takes outbox row ids (escrow outbox dlq lists them)');
  return [...previous, value];
}

function parseEscrowId(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError('--escrow takes an escrow id');
  return value;
}
