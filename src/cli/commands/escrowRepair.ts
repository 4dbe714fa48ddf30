import { Option, type Command } from 'commander';
import type { RebuildReport, RetryResult } from '../../app/escrowRebuild.js';
import { OPERATOR_LIST } from '../../app/operatorViews.js';
import type { SettlementEntry } from '../../app/ports/operatorQueries.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';
import { age, parseLimit } from './escrowInspect.js';
import type { RetryAllResult } from './operatorBackend.js';

// `escrow rebuild <id>` and `escrow settlements [retry]` (SPEC §8): the repairs, as the CLI's admin actor (the
// operating-system user) with a mandatory reason, audited; --dry-run changes nothing.

const jsonOption = () => new Option('--json', 'print JSON on stdout instead of lines');

export function registerRebuild(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('rebuild')
    .argument('<id>', 'the escrow id')
    .description('refold the escrows row from its events, show the difference, repair a drift (audited)')
    .option('--dry-run', 'show the difference field by field, change nothing')
    .option('--reason <text>', 'why (kept in the audit row); required unless --dry-run')
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow rebuild <id> --dry-run',
      'escrow rebuild <id> --reason "INC-31: row drifted after a manual UPDATE"',
    ],
    output:
      'a line per field that differs (field, row, events) and what was done; with --json {"escrowId", "dryRun", ' +
      '"drifted", "repaired", "eventCount", "differences": [{"field", "row", "events", "repairable"}]}',
    notes: [
      'Only the escrows row is rewritten (never events, ledger postings or side tables), with an escrow.rebuild',
      'audit row in the same transaction. Healthy: "no drift". Then escrow verify should be clean.',
    ],
  });
  cmd.action(
    exitWith(ctx, async (id: string) => {
      const o = cmd.opts<{ dryRun?: boolean; reason?: string; json?: boolean }>();
      const dryRun = o.dryRun ?? false;
      if (!dryRun) checkReason(cmd, o.reason);
      const report = await withBackend(ctx.config(), (b) =>
        b.rebuild(id, { dryRun, ...(o.reason === undefined ? {} : { reason: o.reason }) }),
      );
      if (o.json) ctx.print(report);
      else ctx.io.out(rebuildText(report));
      return EXIT.ok;
    }),
  );
}

/** `escrow settlements [--failed]` lists; `escrow settlements retry <settlementId>` retries. */
export function registerSettlements(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('settlements')
    .description('settlements with escrow, rail, amount, status, attempts, last error, age; retry a FAILED one')
    .option('--failed', 'only FAILED settlements')
    .addOption(
      new Option('--status <status>', 'only settlements in this status').choices(['PENDING', 'SUCCEEDED', 'FAILED']),
    )
    .option('--limit <n>', `list at most this many (1-${OPERATOR_LIST.max})`, parseLimit, OPERATOR_LIST.default)
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow settlements --failed', 'escrow settlements retry <settlementId> --reason "..." --dry-run'],
    output:
      'a table; with --json {"data": [{"settlementId", "escrowId", "rail", "amount", "status", "attempts", ...}]}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ failed?: boolean; status?: string; limit: number; json?: boolean }>();
      if (cmd.args.length > 0) usageError(cmd, `unknown command ${cmd.args[0]} (settlements retry?)`);
      if (o.failed && o.status && o.status !== 'FAILED') usageError(cmd, '--failed and --status disagree');
      const status = o.failed ? 'FAILED' : o.status;
      const list = await withBackend(ctx.config(), (b) =>
        b.settlementList({ ...(status ? { status } : {}), limit: o.limit }),
      );
      if (o.json) ctx.print(list);
      else ctx.io.out(settlementTable(list.data));
      return EXIT.ok;
    }),
  );
  registerRetry(cmd, ctx);
}

function registerRetry(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('retry')
    .argument('[settlementId]', 'the FAILED settlement to send again')
    .description('run RetrySettlement on a FAILED settlement as the CLI admin (audited with the reason)')
    .option('--all-failed', 'every FAILED settlement (up to --limit of the parent, 50)')
    .option('--reason <text>', 'why (kept in the audit row); required')
    .option('--dry-run', 'decide only: say what would be recorded, change nothing')
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow settlements retry <settlementId> --reason "INC-12: seller fixed the account" --dry-run',
      'escrow settlements retry --all-failed --reason "provider outage over"',
    ],
    output:
      'a line per settlement retried (now PENDING: the settlements worker sends it again); with --json the result',
    failure: 'failure, no such settlement, or one not FAILED',
  });
  cmd.action(
    exitWith(ctx, async (settlementId: string | undefined) => {
      // options the parent also has (--json, --limit) are parsed by it: read both
      const o = cmd.optsWithGlobals<{
        allFailed?: boolean;
        reason?: string;
        dryRun?: boolean;
        json?: boolean;
        limit: number;
      }>();
      if ((settlementId === undefined) === !o.allFailed) usageError(cmd, 'name one settlement id, or --all-failed');
      const reason = checkReason(cmd, o.reason);
      const dryRun = o.dryRun ?? false;
      if (settlementId !== undefined) {
        const result = await withBackend(ctx.config(), (b) => b.settlementRetry(settlementId, { reason, dryRun }));
        if (o.json) ctx.print(result);
        else ctx.io.out(`${retryLine(result)}\n`);
        return EXIT.ok;
      }
      const all = await withBackend(ctx.config(), (b) => b.settlementRetryAll({ reason, dryRun, limit: o.limit }));
      if (o.json) ctx.print(all);
      else ctx.io.out(retryAllText(all));
      return all.results.some((r) => 'error' in r) ? EXIT.failure : EXIT.ok;
    }),
  );
}

function checkReason(cmd: Command, reason: string | undefined): string {
  if (reason === undefined) usageError(cmd, 'required option --reason <text> not specified');
  if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
  return reason;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function rebuildText(r: RebuildReport): string {
  if (!r.drifted)
    return `no drift: fold(events) equals the stored escrow ${r.escrowId} (${r.eventCount} events); nothing changed\n`;
  const rows = r.differences.map((d) => [
    d.field,
    show(d.row),
    show(d.events),
    d.repairable ? 'yes' : 'no (side table)',
  ]);
  const done = r.dryRun
    ? 'dry run, nothing changed: without --dry-run the row would be rewritten from its events'
    : r.repaired
      ? `repaired: the escrows row was rewritten from its ${r.eventCount} events (audited escrow.rebuild)`
      : 'not repaired: only side tables differ (a rebuild rewrites the escrows row only)';
  return `${[...table(['FIELD', 'ROW', 'EVENTS', 'REPAIRABLE'], rows), done].join('\n')}\n`;
}

export function settlementTable(data: readonly SettlementEntry[]): string {
  if (data.length === 0) return 'no settlements\n';
  const rows = data.map((s) => [
    ...[s.settlementId, s.escrowId, s.rail, s.kind, s.amount, s.currency, s.status, String(s.attempts)],
    ...[age(s.ageSeconds), s.lastError ?? s.failureReason ?? '-'],
  ]);
  const heads = [
    'SETTLEMENT',
    'ESCROW',
    'RAIL',
    'KIND',
    'AMOUNT',
    'CURRENCY',
    'STATUS',
    'ATTEMPTS',
    'AGE',
    'LAST ERROR',
  ];
  return `${[...table(heads, rows), `${data.length} listed`].join('\n')}\n`;
}

function retryLine(r: RetryResult): string {
  return r.dryRun
    ? `dry run, nothing changed: settlement ${r.settlementId} (escrow ${r.escrowId}, ${r.status}) would record ` +
        r.events.map((e) => e.type).join(', ')
    : `retried: settlement ${r.settlementId} (escrow ${r.escrowId}) is ${r.status}; the settlements worker sends it`;
}

function retryAllText(all: RetryAllResult): string {
  if (all.results.length === 0) return 'no FAILED settlements\n';
  const lines = all.results.map((r) => ('error' in r ? `refused: ${r.settlementId}: ${r.error}` : retryLine(r)));
  return `${lines.join('\n')}\n`;
}
