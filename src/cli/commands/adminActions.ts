import { InvalidArgumentError, Option, type Command } from 'commander';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { checkReason, type AdminActionResult, type AdminCommand, type OpenApprovalsBackend } from './approvals.js';

// The admin actions as commands (SPEC §8): `escrow release|refund|resolve|cancel|confirm-payment <id> --reason …`,
// each through the same command path as the API's admin routes, as the CLI's admin (the OS user), audited, with a
// mandatory reason and a --dry-run that shows the events it would record and whether it would wait for a second
// admin (dual control: above ADMIN_APPROVAL_THRESHOLD a release, refund or resolution is a proposal instead).

type Opts = Record<string, string | boolean | undefined> & { reason?: string; dryRun?: boolean; json?: boolean };

interface ActionSpec {
  name: string;
  command: AdminCommand;
  description: string;
  example: string;
  options: (cmd: Command) => void;
  /** The command's payload from the options (usage errors for what commander cannot check). */
  payload: (cmd: Command, o: Opts, reason: string) => Record<string, unknown>;
}

const minor = (flag: string) => (value: string) => {
  if (!/^(0|[1-9]\d{0,18})$/.test(value)) throw new InvalidArgumentError(`${flag} takes minor units as digits`);
  return value;
};

const SPECS: ActionSpec[] = [
  {
    name: 'release',
    command: 'ReleaseEscrow',
    description: 'release a delivered escrow to the seller (admin; dual control above ADMIN_APPROVAL_THRESHOLD)',
    example: 'escrow release <id> --reason "verified delivery, INC-3104" --dry-run',
    options: () => undefined,
    payload: (_c, _o, reason) => ({ reason }),
  },
  {
    name: 'refund',
    command: 'RefundEscrow',
    description: 'refund the buyer in full or in part (admin; dual control above ADMIN_APPROVAL_THRESHOLD)',
    example: 'escrow refund <id> --amount 2500 --reason "one item missing"',
    options: (c) =>
      void c.option('--amount <minor>', 'a partial refund, minor units (default: in full)', minor('--amount')),
    payload: (_c, o, reason) => ({ reason, ...(o.amount ? { refundAmount: o.amount } : {}) }),
  },
  {
    name: 'resolve',
    command: 'ResolveDispute',
    description: 'resolve a dispute: RELEASE, REFUND or SPLIT (admin; dual control above ADMIN_APPROVAL_THRESHOLD)',
    example: 'escrow resolve <id> --dispute <disputeId> --resolution SPLIT --buyer-amount 4000 --reason "partial"',
    options: (c) => {
      c.requiredOption('--dispute <disputeId>', 'the dispute (escrow disputes)');
      c.addOption(
        new Option('--resolution <r>', 'to the seller, to the buyer, or split')
          .choices(['RELEASE', 'REFUND', 'SPLIT'])
          .makeOptionMandatory(),
      );
      c.option('--buyer-amount <minor>', "with SPLIT: the buyer's part, minor units", minor('--buyer-amount'));
    },
    payload: (c, o, reason) => {
      if ((o.resolution === 'SPLIT') !== (o.buyerAmount !== undefined)) {
        usageError(c, '--buyer-amount goes with --resolution SPLIT (and only with it)');
      }
      return {
        disputeId: o.dispute,
        resolution: o.resolution,
        reason,
        ...(o.buyerAmount ? { buyerAmount: o.buyerAmount } : {}),
      };
    },
  },
  {
    name: 'cancel',
    command: 'CancelEscrow',
    description: 'cancel an escrow awaiting funds (admin)',
    example: 'escrow cancel <id> --reason "buyer asked, ticket 88"',
    options: () => undefined,
    payload: (_c, _o, reason) => ({ reason }),
  },
  {
    name: 'confirm-payment',
    command: 'ConfirmPayment',
    description: 'confirm a payment received outside the rail (admin; a mismatch is booked to suspense)',
    example:
      'escrow confirm-payment <id> --transaction wire-0042 --evidence "statement line 14" --amount 10300 ' +
      '--currency USD --reason "wire confirmed"',
    options: (c) => {
      c.requiredOption('--transaction <tx>', "the payment's transaction id");
      c.requiredOption('--evidence <text>', 'what proves it (a statement line, a receipt)');
      c.requiredOption('--amount <minor>', 'the amount received, minor units', minor('--amount'));
      c.requiredOption('--currency <C>', 'the currency received');
    },
    // the command has no reason of its own: it is kept with the evidence (in the event and the audit row)
    payload: (c, o, reason) => {
      if (!/^[A-Z]{3,5}$/.test(String(o.currency))) usageError(c, '--currency takes a code like USD');
      const evidence = `${String(o.evidence)} (reason: ${reason})`;
      return { transactionId: o.transaction, evidence, amount: o.amount, currency: o.currency };
    },
  },
];

export function registerAdminActions(program: Command, ctx: CliContext, open: OpenApprovalsBackend): void {
  for (const spec of SPECS) {
    const cmd = program.command(spec.name).argument('<id>', 'the escrow').description(spec.description);
    spec.options(cmd);
    cmd
      .option('--reason <text>', 'why (kept in the audit row); required')
      .option('--dry-run', 'show the events it would record and whether it needs approval; change nothing')
      .addOption(new Option('--json', 'print JSON on stdout instead of lines'));
    documented(cmd, {
      examples: [spec.example],
      output:
        'what happened: applied (the escrow after it), PENDING_APPROVAL (the proposal a second admin approves: ' +
        'escrow approvals approve <id>), or with --dry-run the events and "needs approval"; --json: that as JSON',
      notes: ['Runs as the CLI admin cli:<OS user>; audited with the reason.'],
    });
    cmd.action(
      exitWith(ctx, async (escrowId: string) => {
        const o = cmd.opts<Opts>();
        const reason = checkReason(cmd, o.reason);
        const payload = spec.payload(cmd, o, reason);
        const request = { command: spec.command, escrowId, payload, dryRun: o.dryRun ?? false };
        const out = await open(ctx.config(), (b) => b.adminAction(request));
        if (o.json) ctx.print(out);
        else ctx.io.out(resultLines(spec, escrowId, out));
        return EXIT.ok;
      }),
    );
  }
}

/** What an admin action prints for a person. */
export function resultLines(spec: ActionSpec, escrowId: string, out: AdminActionResult): string {
  if ('dryRun' in out && out.dryRun) {
    const events = (out.events as { type: string }[]).map((e) => e.type).join(', ') || 'nothing';
    const a = (out as unknown as { approval: unknown }).approval as {
      required: boolean;
      amount?: string;
      currency?: string;
      threshold?: string;
    };
    const approval = a.required
      ? `needs approval: yes, ${a.amount} ${a.currency} is above the threshold ${a.threshold} (a proposal would wait for a second admin)`
      : 'needs approval: no';
    return `dry run, nothing changed: ${spec.name} of escrow ${escrowId} would record ${events}\n${approval}\n`;
  }
  if (out.status === 'PENDING_APPROVAL') {
    const a = (out as Extract<AdminActionResult, { status: 'PENDING_APPROVAL' }>).approval;
    return (
      `needs approval: ${a.commandType} of ${a.amount} ${a.currency} on escrow ${a.escrowId} is proposal ${a.id} ` +
      `(expires ${a.expiresAt}); nothing applied yet: a different admin runs escrow approvals approve ${a.id} --reason "…"\n`
    );
  }
  if (out.status === 'ACCEPTED') return `accepted: command ${String(out.commandId)} is on its way (Kafka mode)\n`;
  const e = (out as { escrow: { status?: string; version?: number } }).escrow;
  return `${spec.name}: escrow ${escrowId} is now ${e.status ?? '?'} (version ${e.version ?? '?'})\n`;
}
