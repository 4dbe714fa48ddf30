import { InvalidArgumentError, Option, type Command } from 'commander';
import { isUuid } from '../../app/ids.js';
import type { SuspenseFilter } from '../../app/ports/index.js';
import type { SuspenseStatus } from '../../domain/index.js';
import type { Json } from '../backend.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { CliFailure, EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

// `escrow suspense list|refund|apply`: money the provider holds that funds no escrow (issue 10 §5, runbook "money in
// suspense"). Changes go through the command path as the CLI's admin actor, with a mandatory reason, and are audited;
// while the embedded server holds the data directory they go through its admin API, like every other command.

export function registerSuspense(program: Command, ctx: CliContext): void {
  const group = documented(
    program
      .command('suspense')
      .description('money in suspense: list it, refund it to the buyer, apply it to its escrow'),
    {
      examples: [
        'escrow suspense list',
        'escrow suspense refund <suspenseId> --reason "paid twice"',
        'escrow suspense apply <suspenseId> --also <suspenseId> --reason "buyer topped up" --dry-run',
      ],
    },
  );
  registerList(group, ctx);
  registerResolve(group, ctx, 'refund');
  registerResolve(group, ctx, 'apply');
}

function registerList(group: Command, ctx: CliContext): void {
  const cmd = group
    .command('list')
    .description('suspense items, newest first, and what the suspense account holds per currency')
    .addOption(new Option('--status <status>', 'OPEN, REFUNDED or APPLIED').choices(['OPEN', 'REFUNDED', 'APPLIED']))
    .option('--escrow <id>', 'only this escrow', uuid('--escrow'))
    .option('--limit <n>', 'items per page (1-50)', parseLimit, 50)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow suspense list --status OPEN', 'escrow suspense list --escrow <escrowId>'],
    output:
      'JSON on stdout: {"data": [{"id", "escrowId", "amount", "currency", "transactionId", "receivedAt", ' +
      '"status", ...}], "nextCursor", "openTotals": [{"currency", "amount", "items"}]}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ status?: SuspenseStatus; escrow?: string; limit: number; cursor?: string }>();
      const filter: SuspenseFilter = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.escrow ? { escrowId: o.escrow } : {}),
      };
      return withBackend(ctx.config(), async (backend) => {
        const page = await backend.suspenseList({ filter, limit: o.limit, cursor: o.cursor ?? null });
        ctx.print(listOutput(page));
        return EXIT.ok;
      });
    }),
  );
}

function registerResolve(group: Command, ctx: CliContext, what: 'refund' | 'apply'): void {
  const cmd = group
    .command(`${what} <suspenseId>`)
    .description(
      what === 'refund'
        ? 'refund a suspense item to the buyer through the rail (a REFUND settlement)'
        : 'apply suspense items to their escrow: funds it when they add up to what is due',
    )
    .requiredOption('--reason <text>', 'why (kept in the event and the audit row)')
    .option('--dry-run', 'decide it and print the events it would record, changing nothing')
    .addOption(jsonOption());
  if (what === 'apply') cmd.option('--also <suspenseId>', 'another item of the same escrow (repeatable)', collect, []);
  documented(cmd, {
    examples: [`escrow suspense ${what} <suspenseId> --reason "..." --dry-run`],
    output:
      'JSON on stdout: the escrow after the command ({"escrowId", "status", "version", "flaggedForReview", ' +
      '"fundedAmount", "refundedAmount", "suspense": [...], "settlements": [...]}), or {"dryRun": true, "escrowId", "events"}',
    failure: 'refused (the item is already resolved, the escrow no longer awaits funds, the amounts differ)',
  });
  cmd.action(
    exitWith(ctx, async (suspenseId: string) => {
      const o = cmd.opts<{ reason: string; dryRun?: boolean; also?: string[] }>();
      if (!isUuid(suspenseId)) usageError(cmd, '<suspenseId> takes a suspense item id (escrow suspense list)');
      if (o.reason.trim() === '' || o.reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      const dryRun = o.dryRun ?? false;
      return withBackend(ctx.config(), async (backend) => {
        const result =
          what === 'refund'
            ? await backend.suspenseRefund(suspenseId, o.reason, dryRun)
            : await backend.suspenseApply([suspenseId, ...(o.also ?? [])], o.reason, dryRun);
        if (!result) throw new CliFailure(`no suspense item ${suspenseId} (escrow suspense list shows them)`);
        ctx.print(resolutionOutput(result));
        return EXIT.ok;
      });
    }),
  );
}

/** Only these keys, in this order: the same output through the server and with the directory opened here. */
const pick = (o: unknown, keys: readonly string[]): Json => {
  const from = (o ?? {}) as Json;
  return Object.fromEntries(keys.filter((k) => k in from).map((k) => [k, from[k]]));
};
const many = (list: unknown, keys: readonly string[]): Json[] =>
  (Array.isArray(list) ? list : []).map((x) => pick(x, keys));

const ITEM = ['id', 'amount', 'currency', 'transactionId', 'providerEventId', 'source', 'reason', 'status'] as const;
const RESOLVED = ['receivedAt', 'resolvedAt', 'resolvedBy', 'resolutionReason', 'settlementId'] as const;
const ENTRY = [...ITEM, 'escrowId', 'escrowStatus', 'rail', 'buyerId', ...RESOLVED];

/** `escrow suspense list`'s output, whichever way the page was read. */
export function listOutput(page: Json): Json {
  return {
    data: many(page.data, ENTRY),
    nextCursor: page.nextCursor ?? null,
    openTotals: many(page.openTotals, ['currency', 'amount', 'items']),
  };
}

/** `escrow suspense refund|apply`'s output: its dry run's events, or the escrow after the command. */
export function resolutionOutput(result: Json): Json {
  if (result.dryRun === true) return pick(result, ['dryRun', 'escrowId', 'events']);
  const escrow = pick(result, ['status', 'version', 'flaggedForReview', 'fundedAmount', 'refundedAmount']);
  return {
    escrowId: result.id,
    ...escrow,
    suspense: many(result.suspense, [...ITEM, ...RESOLVED]),
    settlements: many(result.settlements, ['id', 'kind', 'amount', 'currency', 'status']),
  };
}

function uuid(option: string) {
  return (value: string): string => {
    if (!isUuid(value)) throw new InvalidArgumentError(`${option} takes an id`);
    return value;
  };
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 50) throw new InvalidArgumentError('--limit takes 1 to 50');
  return limit;
}

function collect(value: string, previous: string[]): string[] {
  if (!isUuid(value)) throw new InvalidArgumentError('--also takes suspense item ids');
  return [...previous, value];
}
