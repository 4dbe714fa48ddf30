import type { Command } from 'commander';
import type { WebhookOutcome } from '../../app/ports/index.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

interface PayOptions {
  fail?: boolean;
  amount?: string;
  currency?: string;
}

/** `escrow sandbox pay`: the buyer pays on the SANDBOX rail, through a signed webhook and the webhook intake. */
export function registerSandboxPay(sandbox: Command, ctx: CliContext): void {
  const cmd = sandbox
    .command('pay')
    .description('simulate the buyer paying through a signed sandbox webhook')
    .argument('<escrowId|reference>', "the escrow's id or its payment reference")
    .option('--fail', 'simulate a failed payment')
    .option('--amount <minor>', 'pay this amount in minor units instead of the amount due (mismatch tests)')
    .option('--currency <code>', 'pay in this currency instead of the escrow’s (mismatch tests)')
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow sandbox pay 0196f0c2-8a4e-7b1d-9c3a-2f5e6d7c8b9a',
      'escrow sandbox pay sbx_0196f0c28a4e7b1d9c3a2f5e6d7c8b9a --fail',
      'escrow sandbox pay 0196f0c2-8a4e-7b1d-9c3a-2f5e6d7c8b9a --amount 500 --currency EUR',
    ],
    output: `JSON on stdout: the webhook intake's outcome, {"status": "processed" | "duplicate" | "failed", …}`,
    failure: 'the simulated payment failed (or any failure)',
  });
  cmd.action(
    exitWith(ctx, async (target: string) => {
      const { fail, amount, currency } = cmd.opts<PayOptions>();
      return withBackend(ctx.config(), async (backend) => {
        const outcome = await backend.sandboxPay(target, {
          outcome: fail ? 'fail' : 'succeed',
          ...(amount ? { amount } : {}),
          ...(currency ? { currency } : {}),
        });
        ctx.print(webhookOutput(outcome));
        return outcome.status === 'failed' ? EXIT.failure : EXIT.ok;
      });
    }),
  );
}

/** The intake's outcome as `escrow sandbox pay` prints it, whichever way it ran. */
function webhookOutput(o: WebhookOutcome): WebhookOutcome {
  if (o.status === 'processed') return { status: o.status, outcome: o.outcome, escrowId: o.escrowId };
  return o.status === 'failed' ? { status: o.status, error: o.error } : { status: o.status };
}
