import { InvalidArgumentError, Option, type Command } from 'commander';
import { isUuid } from '../../app/ids.js';
import type { SuspenseFilter } from '../../app/ports/index.js';
import { DEFAULT_POLICY, decide, type Actor, type EscrowCommand, type SuspenseStatus } from '../../domain/index.js';
import type { Engine } from '../../main.js';
import { exitWith, type CliContext } from '../context.js';
import { cliActor, withBackend, withEngine } from '../engine.js';
import { CliFailure, EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { jsonOption } from '../output.js';

// `escrow suspense list|refund|apply`: money the provider holds that funds no escrow (issue 10 §5, runbook "money in
// suspense"). Changes go through the command path as the CLI's admin actor, with a mandatory reason, and are audited.

type SuspenseCommand = Extract<EscrowCommand, { type: 'RefundSuspense' | 'ApplySuspense' }>;
const admin = (): Actor => ({ id: cliActor().id, role: 'admin' });

/** The commands run in this process, under the data directory's lock or on PostgreSQL. */
async function onEngine<T>(ctx: CliContext, run: (engine: Engine) => Promise<T>): Promise<T> {
  const config = ctx.config();
  return withBackend(config, (backend) => {
    if (backend.via === 'server') {
      throw new CliFailure(
        'the embedded server holds the data directory: use its admin API (GET /api/admin/suspense, ' +
          'POST /api/admin/suspense/{id}/refund or /apply with {"reason": "..."}), or stop it and run this again',
      );
    }
    return withEngine(config, run);
  });
}

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
    .option('--limit <n>', 'items per page (1-50)', '50')
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
      const o = cmd.opts<{ status?: SuspenseStatus; escrow?: string; limit: string; cursor?: string }>();
      const filter: SuspenseFilter = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.escrow ? { escrowId: o.escrow } : {}),
      };
      const page = await onEngine(ctx, (e) => e.queries.suspense(admin(), filter, Number(o.limit), o.cursor ?? null));
      ctx.print(page);
      return EXIT.ok;
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
    output: 'JSON on stdout: the escrow after the command, or {"dryRun": true, "escrowId", "events"}',
    failure: 'refused (the item is already resolved, the escrow no longer awaits funds, the amounts differ)',
  });
  cmd.action(
    exitWith(ctx, async (suspenseId: string) => {
      const o = cmd.opts<{ reason: string; dryRun?: boolean; also?: string[] }>();
      if (!isUuid(suspenseId)) usageError(cmd, '<suspenseId> takes a suspense item id (escrow suspense list)');
      if (o.reason.trim() === '' || o.reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      const command: SuspenseCommand =
        what === 'refund'
          ? { type: 'RefundSuspense', suspenseId, reason: o.reason }
          : { type: 'ApplySuspense', suspenseIds: [suspenseId, ...(o.also ?? [])], reason: o.reason };
      ctx.print(await onEngine(ctx, (e) => resolve(e, suspenseId, command, o.dryRun ?? false)));
      return EXIT.ok;
    }),
  );
}

async function resolve(e: Engine, suspenseId: string, command: SuspenseCommand, dryRun: boolean): Promise<unknown> {
  const actor = admin();
  const escrowId = await e.queries.escrowOfSuspense(actor, suspenseId);
  if (!escrowId) throw new CliFailure(`no suspense item ${suspenseId} (escrow suspense list shows them)`);
  if (dryRun) {
    const { escrow } = await e.queries.get(actor, escrowId);
    // the same decision the command path makes (suspense commands read no policy), recorded nowhere
    const events = decide(command, escrow, {
      now: e.clock.now().toISOString(),
      actor,
      policy: DEFAULT_POLICY,
      newId: (purpose) => `dry-run:${purpose}`,
    });
    return { dryRun: true, escrowId, events: events.map(({ type, data }) => ({ type, data })) };
  }
  const { type, ...payload } = command;
  return (await e.service.execute(type, escrowId, actor, payload)).escrow;
}

function uuid(option: string) {
  return (value: string): string => {
    if (!isUuid(value)) throw new InvalidArgumentError(`${option} takes an id`);
    return value;
  };
}

function collect(value: string, previous: string[]): string[] {
  if (!isUuid(value)) throw new InvalidArgumentError('--also takes suspense item ids');
  return [...previous, value];
}
