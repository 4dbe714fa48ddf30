import type { Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

/** `escrow outbox status`: the operations service's outbox check, the one /health reports. */
export function registerOutboxStatus(outbox: Command, ctx: CliContext): void {
  const cmd = outbox
    .command('status')
    .description("unpublished events, the oldest one's age and dead letters; exit 1 if degraded")
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow outbox status', 'escrow outbox status || escrow outbox dlq'],
    output: 'JSON on stdout: {"status": "ok" | "degraded", "unpublished", "oldestAgeSeconds", "deadLetters"}',
    failure: 'degraded: past the runbook thresholds, as /health reports it (or any failure)',
  });
  cmd.action(
    exitWith(ctx, () =>
      withBackend(ctx.config(), async (backend) => {
        const { status, unpublished, oldestAgeSeconds, deadLetters } = await backend.outboxStatus();
        ctx.print({ status, unpublished, oldestAgeSeconds, deadLetters });
        return status === 'degraded' ? EXIT.failure : EXIT.ok;
      }),
    ),
  );
}
