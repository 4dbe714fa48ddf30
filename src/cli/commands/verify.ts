import type { Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { withEngine } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

/** `escrow verify`: every ledger and event invariant, on the live database. */
export function registerVerify(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('verify')
    .description('check ledger balance, fold(events) = row and references; exit 1 on any violation')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow verify', 'escrow verify --json | jq .violations'],
    output: 'JSON on stdout: {"ok", "escrowsChecked", "violations": [{"escrowId", "problem"}]}',
    failure: 'a violation was found (or any failure)',
  });
  cmd.action(
    exitWith(ctx, () =>
      withEngine(ctx.config(), async (engine) => {
        const report = await engine.verify();
        const ok = report.violations.length === 0;
        ctx.print({ ok, ...report });
        return ok ? EXIT.ok : EXIT.failure;
      }),
    ),
  );
}
