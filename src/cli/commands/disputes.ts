import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DisputeQueue } from '../../http/routes/disputeAdmin.js';
import { DISPUTE_QUEUE_DEFAULT, DISPUTE_QUEUE_MAX } from '../../http/schemas/disputeAdmin.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';

/**
 * `escrow disputes` (issue: dispute deadlines and SLA): the admins' queue of open disputes, next deadline first, with
 * the deadlines already passed — RESPONSE (the other party has not answered by respondBy), SLA (no ruling within
 * DISPUTE_SLA_DAYS). Reads only; through the embedded server's GET /api/admin/disputes while it holds the directory.
 */
export function registerDisputes(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('disputes')
    .description('open disputes, next deadline first, with the deadlines passed (RESPONSE, SLA)')
    .option('--overdue', 'only disputes past a deadline')
    .option('--limit <n>', `list at most this many (1-${DISPUTE_QUEUE_MAX})`, parseLimit, DISPUTE_QUEUE_DEFAULT)
    .addOption(new Option('--json', 'print {"data": [...], "overdueCounts"} as JSON on stdout instead of a table'));
  documented(cmd, {
    examples: ['escrow disputes', 'escrow disputes --overdue --limit 20', 'escrow disputes --json | jq .data'],
    output:
      'a table (escrow, dispute, milestone, status, next deadline, overdue) and a line of overdue counts; with --json ' +
      '{"data": [{"disputeId", "escrowId", "milestoneId", "openedBy", "reason", "status", "reviewerId", "createdAt", ' +
      '"respondBy", "responded", "slaDueAt", "overdue", "nextDeadline"}], "overdueCounts": {"response", "sla"}}',
    notes: ['The same figures as /metrics escrow_disputes_overdue{deadline="response"|"sla"}.'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ overdue?: boolean; limit: number; json?: boolean }>();
      const queue = await withBackend(ctx.config(), (backend) =>
        backend.disputes({ overdue: o.overdue ?? false, limit: o.limit }),
      );
      if (o.json) ctx.print(queue);
      else ctx.io.out(queueTable(queue, o.overdue ?? false));
      return EXIT.ok;
    }),
  );
}

const HEADINGS = ['ESCROW', 'DISPUTE', 'MILESTONE', 'STATUS', 'NEXT DEADLINE', 'OVERDUE'];

/** What `escrow disputes` prints for a person: a table, then the overdue counts of every open dispute. */
export function queueTable(queue: DisputeQueue, overdueOnly: boolean): string {
  const { response, sla } = queue.overdueCounts;
  const counts = `overdue now: ${response} past respond-by without an answer, ${sla} past the SLA`;
  if (queue.data.length === 0) return `no ${overdueOnly ? 'overdue' : 'open'} disputes; ${counts}\n`;
  const rows = queue.data.map((d) => [
    d.escrowId,
    d.disputeId,
    d.milestoneId ?? '-',
    d.status,
    d.nextDeadline,
    d.overdue.length > 0 ? d.overdue.join(',') : '-',
  ]);
  return `${[...table(HEADINGS, rows), `${queue.data.length} listed; ${counts}`].join('\n')}\n`;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > DISPUTE_QUEUE_MAX) {
    throw new InvalidArgumentError(`--limit takes 1 to ${DISPUTE_QUEUE_MAX}`);
  }
  return n;
}
