import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ReconciliationReport } from '../../app/reconciler.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

/**
 * `escrow reconcile` (SPEC §6, §8): one reconciler run now — missed webhooks applied through the command path with
 * the provider's ids, then every mismatch between escrow state, ledger and provider with its fix, and the treasury
 * line per rail and currency. Audited as `reconcile.run` unless a dry run.
 */
export function registerReconcile(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('reconcile')
    .description('ask the providers, apply missed webhooks, report mismatches and the treasury; exit 1 on mismatches')
    .option('--dry-run', 'report what would be applied, apply nothing')
    .option(
      '--window-hours <n>',
      'check funded escrows and settlements this far back (default RECONCILE_WINDOW_HOURS)',
      parseHours,
    )
    .option('--reason <text>', 'why (kept in the audit row)')
    .addOption(new Option('--json', 'print the report as JSON on stdout instead of lines (bigints as digit strings)'));
  documented(cmd, {
    examples: ['escrow reconcile --dry-run', 'escrow reconcile --window-hours 48 --json | jq .mismatches'],
    output:
      'a summary line, a line per mismatch with its fix, the treasury lines; with --json {"at", "dryRun", ' +
      '"checked", "recovered", "mismatches": [{"kind", "rail", "escrowId", "detail", "fix", "applied"}], ' +
      '"treasury": [{"rail", "currency", "owed", "feeRevenue", "providerBalance", "platformShareAtProvider", "status"}]}',
    notes: ['The SANDBOX rail keeps no record at a provider: with it alone the report has nothing to compare.'],
    failure: 'mismatches remain that this run did not apply (or any failure)',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ dryRun?: boolean; windowHours?: number; reason?: string; json?: boolean }>();
      if (o.reason !== undefined && (o.reason.trim() === '' || o.reason.length > 500)) {
        usageError(cmd, '--reason takes 1 to 500 characters');
      }
      return withBackend(ctx.config(), async (backend) => {
        const report = await backend.reconcile({
          dryRun: o.dryRun ?? false,
          reason: o.reason ?? 'escrow reconcile',
          ...(o.windowHours === undefined ? {} : { windowHours: o.windowHours }),
        });
        if (o.json) ctx.print(report);
        else ctx.io.out(reportLines(report));
        return report.mismatches.some((m) => !m.applied) ? EXIT.failure : EXIT.ok;
      });
    }),
  );
}

/** What `escrow reconcile` prints for a person. */
export function reportLines(r: ReconciliationReport): string {
  const { checked: c, recovered } = r;
  const open = r.mismatches.filter((m) => !m.applied).length;
  const lines = [
    `${r.dryRun ? 'dry run, nothing applied: ' : ''}reconciled at ${r.at}: checked ${c.awaitingFunds} awaiting funds, ` +
      `${c.funded} funded, ${c.pendingSettlements} pending and ${c.succeededSettlements} succeeded settlements; ` +
      `recovered ${recovered.payments} payment(s), ${recovered.settlements} settlement(s); ` +
      `${r.mismatches.length} mismatch(es), ${open} not applied`,
  ];
  for (const m of r.mismatches) {
    const where = [
      m.rail,
      m.escrowId ? `escrow ${m.escrowId}` : null,
      m.settlementId ? `settlement ${m.settlementId}` : null,
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(`${m.applied ? 'applied' : 'OPEN'} ${m.kind} ${where}: ${m.detail}; fix: ${m.fix}`);
  }
  for (const t of r.treasury) {
    lines.push(
      `treasury ${t.rail} ${t.currency}: ${t.status}; owed ${t.owed}, fee revenue ${t.feeRevenue}, ` +
        `provider balance ${t.providerBalance ?? 'unknown'}, platform share at provider ${t.platformShareAtProvider ?? 'unknown'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function parseHours(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 720) throw new InvalidArgumentError('--window-hours takes 1 to 720');
  return n;
}
