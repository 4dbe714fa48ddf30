import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  OPERATOR_LIST,
  timelineEntries,
  type EscrowTimeline,
  type QueueReport,
  type StuckReport,
} from '../../app/operatorViews.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';

// `escrow stuck`, `escrow show <id>`, `escrow queues` (SPEC §8): the operator's read side. Reads only; through the
// embedded server's admin API while it holds the data directory.

const jsonOption = () => new Option('--json', 'print JSON on stdout instead of a table');

export function registerStuck(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('stuck')
    .description('escrows past their expected next step, oldest first, then the largest amount')
    .option('--older-than <hours>', 'only those stuck at least this many hours', parseHours)
    .option('--min-amount <minor>', 'only escrows of at least this amount (minor units)', parseMinor)
    .option('--currency <code>', 'only escrows in this currency (e.g. USD)', parseCurrency)
    .option('--high-value', "only seed 001's high-value stuck: FUNDS_HELD, created more than 7 days ago")
    .option('--limit <n>', `list at most this many (1-${OPERATOR_LIST.max})`, parseLimit, OPERATOR_LIST.default)
    .addOption(jsonOption());
  documented(cmd, {
    examples: [
      'escrow stuck',
      'escrow stuck --older-than 24 --min-amount 100000 --currency USD',
      'escrow stuck --high-value --json',
    ],
    output:
      'a table (escrow, status, amount, age, reasons, high value) and a count; with --json {"checkedAt", "data": ' +
      '[{"escrowId", "status", "rail", "currency", "amount", "createdAt", "reasons", "since", "ageSeconds", "highValue"}]}',
    notes: [
      'Reasons: PAYMENT_DEADLINE_PASSED and CONFIRMATION_DEADLINE_PASSED (the timeouts role is not running: escrow',
      'timeouts run), HELD_OVER_7_DAYS, SETTLEMENT_PENDING (over 30 minutes), SETTLEMENT_FAILED (escrow settlements',
      'retry), DISPUTE_SLA_PASSED (escrow disputes --overdue). Healthy: "no stuck escrows".',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{
        olderThan?: number;
        minAmount?: string;
        currency?: string;
        highValue?: boolean;
        limit: number;
        json?: boolean;
      }>();
      const report = await withBackend(ctx.config(), (b) =>
        b.stuck({
          ...(o.olderThan === undefined ? {} : { olderThanHours: o.olderThan }),
          ...(o.minAmount === undefined ? {} : { minAmount: o.minAmount }),
          ...(o.currency === undefined ? {} : { currency: o.currency }),
          highValue: o.highValue ?? false,
          limit: o.limit,
        }),
      );
      if (o.json) ctx.print(report);
      else ctx.io.out(stuckTable(report));
      return EXIT.ok;
    }),
  );
}

export function registerShow(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('show')
    .argument('<id>', 'the escrow id')
    .description("one escrow's timeline: events, ledger, settlements, webhooks, outbox, audit, disputes")
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow show 0190f0c8-0000-7000-8000-00000000000a', 'escrow show <id> --json | jq .settlements'],
    output:
      'the escrow in a line, then every entry merged by time (at, what, detail); with --json {"escrow", "events", ' +
      '"ledger", "settlements", "webhooks", "outbox", "audit", "disputes"} grouped. Provider webhooks: metadata only',
    failure: 'failure, or no such escrow',
  });
  cmd.action(
    exitWith(ctx, async (id: string) => {
      const o = cmd.opts<{ json?: boolean }>();
      const timeline = await withBackend(ctx.config(), (b) => b.timeline(id));
      if (o.json) ctx.print(timeline);
      else ctx.io.out(timelineText(timeline));
      return EXIT.ok;
    }),
  );
}

export function registerQueues(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('queues')
    .description('every queue at a glance against its runbook threshold (outbox, settlements, webhooks, ...)')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow queues', 'escrow queues --json | jq .lines'],
    output:
      'a table (queue, metric, value, threshold, status OK|WARN|PROBLEM) and a verdict; with --json {"checkedAt", ' +
      '"healthy", "figures", "lines": [{"queue", "metric", "value", "threshold", "status"}]}',
    notes: ['Healthy: every line OK (WARN lines need a look: unprocessed webhooks, open suspense, late answers).'],
    failure: 'a queue past its threshold (a PROBLEM line), or failure',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ json?: boolean }>();
      const report = await withBackend(ctx.config(), (b) => b.queues());
      if (o.json) ctx.print(report);
      else ctx.io.out(queueTable(report));
      return report.healthy ? EXIT.ok : EXIT.failure;
    }),
  );
}

/** 93784 → "1d 2h", 7260 → "2h 1m", 59 → "59s". */
export function age(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${seconds % 60}s`;
  return `${seconds}s`;
}

export function stuckTable(r: StuckReport): string {
  if (r.data.length === 0) return `no stuck escrows (checked at ${r.checkedAt})\n`;
  const rows = r.data.map((s) => [
    ...[s.escrowId, s.status, s.amount, s.currency, age(s.ageSeconds), s.reasons.join(',')],
    s.highValue ? 'yes' : '-',
  ]);
  const heads = ['ESCROW', 'STATUS', 'AMOUNT', 'CURRENCY', 'AGE', 'REASONS', 'HIGH VALUE'];
  const high = r.data.filter((s) => s.highValue).length;
  return `${[...table(heads, rows), `${r.data.length} stuck, ${high} high-value (checked at ${r.checkedAt})`].join('\n')}\n`;
}

export function timelineText(t: EscrowTimeline): string {
  const e = t.escrow;
  const head =
    `escrow ${String(e.id)} ${String(e.status)} v${String(e.version)}: ${String(e.amount)} ${String(e.currency)} ` +
    `on ${String(e.rail)}, buyer ${String(e.buyerId)}, seller ${String(e.sellerId)}, created ${String(e.createdAt)}`;
  const rows = timelineEntries(t).map((x) => [x.at, x.what, x.detail]);
  const counts =
    `${t.events.length} events, ${t.ledger.length} postings, ${t.settlements.length} settlements, ` +
    `${t.webhooks.length} webhooks, ${t.outbox.length} outbox rows ` +
    `(${t.outbox.filter((o) => !o.publishedAt).length} unpublished), ${t.audit.length} audit rows, ` +
    `${t.disputes.length} disputes`;
  return `${[head, ...table(['AT', 'WHAT', 'DETAIL'], rows), counts].join('\n')}\n`;
}

export function queueTable(r: QueueReport): string {
  const rows = r.lines.map((l) => [l.queue, l.metric, String(l.value), l.threshold, l.status]);
  const problems = r.lines.filter((l) => l.status === 'PROBLEM').length;
  const verdict = r.healthy ? `healthy (checked at ${r.checkedAt})` : `${problems} PROBLEM (checked at ${r.checkedAt})`;
  return `${[...table(['QUEUE', 'METRIC', 'VALUE', 'THRESHOLD', 'STATUS'], rows), verdict].join('\n')}\n`;
}

export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > OPERATOR_LIST.max) {
    throw new InvalidArgumentError(`--limit takes 1 to ${OPERATOR_LIST.max}`);
  }
  return n;
}

function parseHours(value: string): number {
  if (!/^\d{1,6}(\.\d{1,3})?$/.test(value)) throw new InvalidArgumentError('--older-than takes hours, e.g. 24 or 0.5');
  return Number(value);
}

function parseMinor(value: string): string {
  if (!/^\d{1,18}$/.test(value)) throw new InvalidArgumentError('--min-amount takes minor units (digits), e.g. 100000');
  return value;
}

function parseCurrency(value: string): string {
  if (!/^[A-Z]{3,5}$/.test(value)) throw new InvalidArgumentError('--currency takes a code of 3-5 capitals, e.g. USD');
  return value;
}
