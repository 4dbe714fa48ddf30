import type { Command } from 'commander';
import type { VerifyReport } from '../../app/verify.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';
import { progressBar } from '../progress.js';

/** `escrow verify`: every ledger and event invariant, on the live database. */
export function registerVerify(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('verify')
    .description('check ledger balance, fold(events) = row and references; exit 1 on any violation')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow verify', 'escrow verify --json | jq .violations'],
    output:
      'JSON on stdout: {"ok", "escrowsChecked", "violations": [{"escrowId", "problem"}]}; on a terminal a progress ' +
      'bar on stderr while the escrows are checked',
    failure: 'a violation was found (or any failure)',
  });
  cmd.action(
    exitWith(ctx, () =>
      withBackend(ctx.config(), async (backend) => {
        const progress = progressBar(ctx.io, 'escrows checked');
        let result;
        try {
          result = await backend.verify((done, total) => progress.update(done, total));
        } finally {
          progress.end();
        }
        const report = verifyOutput(result);
        ctx.print(report);
        return report.ok ? EXIT.ok : EXIT.failure;
      }),
    ),
  );
}

/** What `escrow verify` prints, whichever way it ran (in this process or through the server). */
export const verifyOutput = ({ escrowsChecked, violations }: VerifyReport) => ({
  ok: violations.length === 0,
  escrowsChecked,
  violations: violations.map(({ escrowId, problem }) => ({ escrowId, problem })),
});
