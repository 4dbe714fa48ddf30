import { InvalidArgumentError, Option, type Command } from 'commander';
import { REPORT_KINDS, ReportService, type Report, type ReportKind, type ReportRequest } from '../../app/reports.js';
import type { ReportQueries } from '../../app/ports/reportQueries.js';
import type { Clock } from '../../app/ports/index.js';
import type { Config } from '../../config/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { reportText } from './reportTables.js';

// `escrow report volume|fees|disputes|offenders [--since 7d] [--currency USD] [--json]` (seed 003 §2 business
// metrics, RB-04 high dispute rate): reads only, nothing audited. While the embedded server holds the data directory
// they go through its admin API (GET /api/admin/reports/<kind>), like every other command.

/** What the report commands run on: this process's engine, or the embedded server's admin API. */
export interface ReportBackend {
  report(kind: ReportKind, request: ReportRequest): Promise<Report>;
}

export type OpenReportBackend = <T>(config: Config, run: (backend: ReportBackend) => Promise<T>) => Promise<T>;

/** The reports on this process's engine: `withEngine` opens it (and closes it after). */
export function localReportBackend(
  withEngine: <T>(run: (e: { stores: { reports: ReportQueries }; clock: Clock }) => Promise<T>) => Promise<T>,
): ReportBackend {
  return {
    report: (kind, request) =>
      withEngine((e) => new ReportService({ queries: e.stores.reports, clock: e.clock }).run(kind, request)),
  };
}

/** The reports through the embedded server's admin API. */
export function serverReportBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): ReportBackend {
  return {
    report: (kind, request) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(request)) if (v !== undefined) q.set(k, String(v));
      return call('GET', `/api/admin/reports/${kind}${q.size > 0 ? `?${q.toString()}` : ''}`);
    },
  };
}

const HELP: Record<ReportKind, { description: string; examples: string[]; output: string; notes?: string[] }> = {
  volume: {
    description: 'escrows created, funded, released, refunded and disputed, with amounts, per currency and day/hour',
    examples: ['escrow report volume --since 7d', 'escrow report volume --since 24h --by hour --currency USD --json'],
    output:
      'a table of totals per currency, then one per day (or hour); with --json {"report", "since", "until", ' +
      '"totals": [{"currency", "created", "funded", ..., "fundedAmount"}], "periods": [...]} (minor units as strings)',
  },
  fees: {
    description: "platform fee revenue per currency, from the ledger's platform:fee_revenue postings",
    examples: ['escrow report fees --since 2026-11-01T00:00:00Z', 'escrow report fees --since 30d --json'],
    output:
      'a table per currency and per day; with --json {"account", "totals": [{"currency", "fees", "postings"}], ...}',
    notes: ['The same postings escrow verify checks: the figures match the ledger to the minor unit.'],
  },
  disputes: {
    description: 'disputes opened and the dispute rate (opened / funded) over the window, by reason and outcome',
    examples: ['escrow report disputes', 'escrow report disputes --since 7d --json'],
    output: 'a table per currency (funded, disputes, rate), then by reason and by outcome; --json the same as JSON',
    notes: ['RB-04 fires above 20 % in 24 h (EscrowHighDisputeRate); then run escrow report offenders.'],
  },
  offenders: {
    description: 'sellers and buyers party to --min or more disputes (default 3 in 7 days), with the blacklist command',
    examples: ['escrow report offenders', 'escrow report offenders --min 5 --since 30d --json'],
    output:
      'a line per party (role, user, disputes, escrows, last dispute) ending with the escrow blacklist add command; ' +
      '--json {"min", "offenders": [{"role", "userId", "disputes", "escrows", "lastDisputeAt", "blacklisted", ' +
      '"command"}]} (command null, "already blacklisted" in the table, for a party blacklisted already)',
    notes: ['Run the printed command with --dry-run first; a dispute counts against both its seller and its buyer.'],
  },
};

/** `escrow report …`: the group (its subcommands registered); the caller makes it require one. */
export function registerReport(program: Command, ctx: CliContext, open: OpenReportBackend): Command {
  const group = documented(
    program.command('report').description('business and fraud reports: volume, fees, disputes, offenders (reads)'),
    { examples: ['escrow report volume --since 7d', 'escrow report offenders --min 3'] },
  );
  for (const kind of REPORT_KINDS) registerKind(group, ctx, open, kind);
  return group;
}

function registerKind(group: Command, ctx: CliContext, open: OpenReportBackend, kind: ReportKind): void {
  const help = HELP[kind];
  const fallback = kind === 'offenders' ? '7d' : '24h';
  const cmd = group
    .command(kind)
    .description(help.description)
    .option('--since <time>', `ISO 8601 or a duration back from now: 90m, 24h, 7d (default ${fallback})`, checkSince)
    .option('--currency <code>', 'only this currency (USD, EUR, USDC ...)');
  if (kind === 'volume' || kind === 'fees') {
    cmd.addOption(new Option('--by <bucket>', 'rows per day or per hour (UTC)').choices(['day', 'hour']));
  }
  if (kind === 'offenders') cmd.option('--min <n>', 'the fewest disputes that lists a party (1-1000)', parseMin, 3);
  cmd.addOption(new Option('--json', 'print JSON on stdout instead of tables'));
  documented(cmd, help);
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ since?: string; currency?: string; by?: string; min?: number; json?: boolean }>();
      const request: ReportRequest = {
        ...(o.since === undefined ? {} : { since: o.since }),
        ...(o.currency === undefined ? {} : { currency: o.currency }),
        ...(o.by === undefined ? {} : { by: o.by }),
        ...(o.min === undefined ? {} : { min: o.min }),
      };
      const report = await open(ctx.config(), (backend) => backend.report(kind, request));
      if (o.json) ctx.print(report);
      else ctx.io.out(reportText(report));
      return EXIT.ok;
    }),
  );
}

/** The shape only (a usage error); the engine checks the time against its clock. */
function checkSince(value: string): string {
  if (/^\d{1,6}[mhd]$/.test(value) || (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value)))) {
    return value;
  }
  throw new InvalidArgumentError('--since takes an ISO 8601 time or a duration such as 90m, 24h, 7d');
}

function parseMin(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('--min takes 1 to 1000');
  return n;
}
