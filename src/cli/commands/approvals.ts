import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApprovalRequired, type ApprovalService } from '../../app/approvals.js';
import type { EscrowService } from '../../app/escrowService.js';
import { APPROVAL_STATUSES, type Approval } from '../../app/ports/approvalStore.js';
import type { Config } from '../../config/index.js';
import type { Actor, CommandType } from '../../domain/index.js';
import { actionPreviewView, approvalOutcomeView } from '../../http/routes/approvals.js';
import { escrowView } from '../../http/views.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

// `escrow approvals list|approve <id>|reject <id>` (SPEC §8, seed 003: dual control): the proposals an admin's large
// release, refund or resolution left, decided by a second admin with a reason (audited; --dry-run changes nothing).
// The CLI's admin is the operating-system user (cli:<name>): the proposer cannot approve their own proposal, so a
// second operator approves from their own OS account, or through the API with their own admin token.

type Json = Record<string, unknown>;

/** The admin commands the CLI runs (escrow release|refund|resolve|cancel|confirm-payment). */
export type AdminCommand = Extract<
  CommandType,
  'ReleaseEscrow' | 'RefundEscrow' | 'ResolveDispute' | 'CancelEscrow' | 'ConfirmPayment'
>;

export interface AdminActionRequest {
  command: AdminCommand;
  escrowId: string;
  payload: Json;
  dryRun: boolean;
}

/** Applied (the escrow after it), held for a second admin (the proposal), or a dry run (the preview). */
export type AdminActionResult =
  | { status: 'APPLIED'; escrow: Json }
  | { status: 'PENDING_APPROVAL'; approval: Approval }
  | { status: 'ACCEPTED'; commandId: string }
  | (Json & { dryRun: true });

/** What the approvals and admin action commands run on: this process's engine, or the embedded server's API. */
export interface ApprovalsBackend {
  adminAction(request: AdminActionRequest): Promise<AdminActionResult>;
  approvalsList(filter: { status?: string; limit: number }): Promise<{ items: Approval[] }>;
  approvalDecide(id: string, decision: 'approve' | 'reject', body: { reason: string; dryRun: boolean }): Promise<Json>;
}

export type OpenApprovalsBackend = <T>(config: Config, run: (backend: ApprovalsBackend) => Promise<T>) => Promise<T>;

/** On this process's engine: `withServices` opens it (and closes it after), `actor` is the CLI's. */
export function localApprovalsBackend(
  withServices: <T>(run: (s: { approvals: ApprovalService; service: EscrowService }) => Promise<T>) => Promise<T>,
  actor: Actor,
): ApprovalsBackend {
  return {
    adminAction: ({ command, escrowId, payload, dryRun }) =>
      withServices(async ({ approvals, service }): Promise<AdminActionResult> => {
        if (dryRun) {
          const preview = await approvals.preview(actor, command, escrowId, payload);
          return { ...actionPreviewView(preview), dryRun: true };
        }
        try {
          const handled = await service.execute(command, escrowId, actor, payload);
          return { status: 'APPLIED', escrow: escrowView(handled.escrow) };
        } catch (err) {
          if (err instanceof ApprovalRequired) return { status: 'PENDING_APPROVAL', approval: err.approval };
          throw err;
        }
      }),
    approvalsList: (filter) => withServices(async ({ approvals }) => ({ items: await approvals.list(actor, filter) })),
    approvalDecide: (id, decision, body) =>
      withServices(async ({ approvals }) =>
        approvalOutcomeView(
          decision === 'approve' ? await approvals.approve(actor, id, body) : await approvals.reject(actor, id, body),
        ),
      ),
  };
}

/** Through the embedded server's API (the admin action routes, /api/admin/approvals, /api/admin/actions/dry-run). */
export function serverApprovalsBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): ApprovalsBackend {
  const id = (s: string) => encodeURIComponent(s);
  return {
    adminAction: async ({ command, escrowId, payload, dryRun }) => {
      if (dryRun) return call('POST', '/api/admin/actions/dry-run', { command, escrowId, payload });
      const { disputeId, ...body } = payload;
      const path = {
        ReleaseEscrow: 'release',
        RefundEscrow: 'refund',
        ResolveDispute: `dispute/${id(String(disputeId))}/resolve`,
        CancelEscrow: 'cancel',
        ConfirmPayment: 'confirm-payment',
      }[command];
      const answer = await call<Json>(
        'POST',
        `/api/escrow/${id(escrowId)}/${path}`,
        command === 'ResolveDispute' ? body : payload,
      );
      if (answer.status === 'PENDING_APPROVAL' || answer.status === 'PENDING') {
        return answer.status === 'PENDING'
          ? { status: 'ACCEPTED', commandId: String(answer.commandId) }
          : (answer as never);
      }
      return { status: 'APPLIED', escrow: answer };
    },
    approvalsList: ({ status, limit }) =>
      call(
        'GET',
        `/api/admin/approvals?${new URLSearchParams({ ...(status ? { status } : {}), limit: String(limit) }).toString()}`,
      ),
    approvalDecide: (approvalId, decision, body) =>
      call('POST', `/api/admin/approvals/${id(approvalId)}/${decision}`, body),
  };
}

const jsonOutput = () => new Option('--json', 'print JSON on stdout instead of lines');

/** `--reason`: mandatory, 1-500 characters (a usage error otherwise). */
export function checkReason(cmd: Command, reason: string | undefined): string {
  if (reason === undefined) usageError(cmd, 'required option --reason <text> not specified');
  if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
  return reason;
}

export function registerApprovals(program: Command, ctx: CliContext, open: OpenApprovalsBackend): Command {
  const group = documented(
    program.command('approvals').description("dual control: admin actions waiting for a second admin's approval"),
    { examples: ['escrow approvals list --status PENDING', 'escrow approvals approve <id> --reason "..."'] },
  );
  const list = group
    .command('list')
    .description('the proposals, newest first (a PENDING one past its expiry shows EXPIRED)')
    .addOption(new Option('--status <status>', 'only these').choices([...APPROVAL_STATUSES]))
    .option('--limit <n>', 'how many (1-100)', parseLimit, 20)
    .addOption(jsonOutput());
  documented(list, {
    examples: ['escrow approvals list', 'escrow approvals list --status PENDING --json'],
    output: 'a line per proposal; with --json {"items": [{"id", "escrowId", "commandType", "amount", "status", ...}]}',
  });
  list.action(
    exitWith(ctx, async () => {
      const o = list.opts<{ status?: string; limit: number; json?: boolean }>();
      const page = await open(ctx.config(), (b) =>
        b.approvalsList({ ...(o.status ? { status: o.status } : {}), limit: o.limit }),
      );
      if (o.json) ctx.print(page);
      else ctx.io.out(page.items.length === 0 ? 'no proposals\n' : `${page.items.map(approvalLine).join('\n')}\n`);
      return EXIT.ok;
    }),
  );
  for (const decision of ['approve', 'reject'] as const) registerDecision(group, ctx, open, decision);
  return group;
}

function registerDecision(group: Command, ctx: CliContext, open: OpenApprovalsBackend, decision: 'approve' | 'reject') {
  const cmd = group
    .command(decision)
    .argument('<id>', 'the proposal (escrow approvals list)')
    .description(
      decision === 'approve'
        ? "approve another admin's proposal: its command runs now, as you (audited)"
        : 'reject a proposal (its proposer may: a withdrawal); nothing is applied (audited)',
    )
    .option('--reason <text>', 'why (kept with the approval and in the audit row); required')
    .option('--dry-run', 'check and say what would happen, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [`escrow approvals ${decision} <id> --reason "checked ticket INC-3104" --dry-run`],
    output: 'the proposal as decided (approve: and the escrow after it); with --json {"dryRun", "approval", "escrow"?}',
    notes: [
      'The proposer cannot approve (SELF_APPROVAL): the CLI acts as the OS user (cli:<name>), so the second',
      'operator runs it from their own account, or approves through the API with their own admin token.',
    ],
  });
  cmd.action(
    exitWith(ctx, async (id: string) => {
      const o = cmd.opts<{ reason?: string; dryRun?: boolean; json?: boolean }>();
      const body = { reason: checkReason(cmd, o.reason), dryRun: o.dryRun ?? false };
      const out = await open(ctx.config(), (b) => b.approvalDecide(id, decision, body));
      if (o.json) ctx.print(out);
      else ctx.io.out(decisionLines(out));
      return EXIT.ok;
    }),
  );
}

/** One proposal on a line. */
export function approvalLine(a: Approval): string {
  const decided = a.decidedBy ? ` decided by ${a.decidedBy}: ${a.decidedReason ?? ''}` : '';
  return (
    `${a.id} ${a.status} ${a.commandType} ${a.amount} ${a.currency} escrow ${a.escrowId} ` +
    `proposed by ${a.proposedBy}: ${a.reason}; expires ${a.expiresAt}${decided}`
  );
}

function decisionLines(out: Json): string {
  const a = out.approval as Approval;
  const escrow = out.escrow as { status?: string } | undefined;
  const head = out.dryRun ? 'dry run, nothing changed: would be ' : out.replayed ? 'already ' : '';
  const lines = [`${head}${a.status}: ${approvalLine(a)}`];
  if (Array.isArray(out.events))
    lines.push(`would record: ${(out.events as { type: string }[]).map((e) => e.type).join(', ')}`);
  if (escrow?.status && !out.dryRun) lines.push(`escrow ${a.escrowId} is ${escrow.status}`);
  return `${lines.join('\n')}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new InvalidArgumentError('--limit takes 1 to 100');
  return limit;
}
