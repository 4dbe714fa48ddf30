import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  PAUSE_TARGETS,
  describePause,
  type PauseChange,
  type PauseReport,
  type PauseService,
  type PauseTarget,
} from '../../app/pause.js';
import type { Config } from '../../config/index.js';
import type { Actor } from '../../domain/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

// `escrow pause --scope payouts|intake|all --reason …`, `escrow pause status`, `escrow resume [--scope …] --reason …`
// (SPEC §8, seed 003 RB-05): the emergency pause, stored in the database and in force on every replica and role
// within 2 s (typically milliseconds). Changes are made as the CLI's admin actor (the operating-system user) with a
// mandatory reason and audited; --dry-run changes nothing. While the embedded server holds the data directory they go
// through its admin API (/api/admin/pause, /api/admin/resume), like every other command.

/** What the pause commands run on: this process's engine, or the embedded server's admin API. */
export interface PauseBackend {
  pause(request: { scope: PauseTarget; reason: string; dryRun: boolean }): Promise<PauseChange>;
  resume(request: { scope: PauseTarget; reason: string; dryRun: boolean }): Promise<PauseChange>;
  pauseReport(limit: number): Promise<PauseReport>;
}

/** How a command gets its backend: `withBackend` (src/cli/engine.ts). */
export type OpenPauseBackend = <T>(config: Config, run: (backend: PauseBackend) => Promise<T>) => Promise<T>;

/** The pause on this process's engine: `withService` opens it (and closes it after), `actor` is the CLI's. */
export function localPauseBackend(
  withService: <T>(run: (service: PauseService) => Promise<T>) => Promise<T>,
  actor: Actor,
): PauseBackend {
  return {
    pause: (request) => withService((s) => s.pause(actor, request)),
    resume: (request) => withService((s) => s.resume(actor, request)),
    pauseReport: (limit) => withService((s) => s.report(limit)),
  };
}

/** The pause through the embedded server's admin API; `call` answers the body or throws the server's problem. */
export function serverPauseBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): PauseBackend {
  return {
    pause: (request) => call('POST', '/api/admin/pause', request),
    resume: (request) => call('POST', '/api/admin/resume', request),
    pauseReport: (limit) => call('GET', `/api/admin/pause?limit=${limit}`),
  };
}

const scopeOption = (what: string) => new Option('--scope <scope>', what).choices([...PAUSE_TARGETS]);
const jsonOutput = () => new Option('--json', 'print JSON on stdout instead of lines');

export function registerPause(program: Command, ctx: CliContext, open: OpenPauseBackend): void {
  const cmd = program
    .command('pause')
    .argument('[status]', 'status: show what is paused and the latest pauses instead')
    .description('emergency pause of payouts, intake or all, on every replica within 2 s (audited)')
    .addOption(scopeOption('payouts (settlements, money-moving timeouts), intake (new escrows, user changes), all'))
    .option('--reason <text>', 'why (kept with the pause and in the audit row); required to pause')
    .option('--dry-run', 'say what would be paused, change nothing')
    .option('--limit <n>', 'with status: how many of the latest pauses to list (1-100)', parseLimit, 20)
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow pause --scope all --reason "RB-05: suspected exploit, INC-2211" --dry-run',
      'escrow pause --scope payouts --reason "provider incident: payouts bouncing"',
      'escrow pause status --json',
    ],
    output:
      'a line per pause set (or already in force); with --json {"dryRun", "changed": [{"id", "scope", "reason", ' +
      '"setBy", "setAt", ...}], "status": {"paused", "payouts", "intake"}}; status: {"paused", "payouts", "intake", ' +
      '"history"}',
    notes: [
      'intake: new escrows and user changes answer 503 PAUSED; payouts: no settlement is sent, delivered escrows are',
      'not auto-released or refunded; admins keep working and provider webhooks are still recorded. Lift it with',
      'escrow resume. /health shows the pause (degraded) and who set it; escrow_paused{scope} is 1 in /metrics.',
    ],
  });
  cmd.action(
    exitWith(ctx, async (what: string | undefined) => {
      const o = cmd.opts<{ scope?: PauseTarget; reason?: string; dryRun?: boolean; limit: number; json?: boolean }>();
      if (what !== undefined && what !== 'status') usageError(cmd, `unknown argument ${what} (pause status?)`);
      if (what === 'status') {
        if (o.scope || o.reason !== undefined || o.dryRun)
          usageError(cmd, 'pause status takes no --scope, --reason or --dry-run');
        const report = await open(ctx.config(), (backend) => backend.pauseReport(o.limit));
        if (o.json) ctx.print(report);
        else ctx.io.out(reportLines(report));
        return EXIT.ok;
      }
      if (!o.scope) usageError(cmd, 'required option --scope <scope> not specified (payouts, intake or all)');
      const reason = checkReason(cmd, o.reason);
      const request = { scope: o.scope, reason, dryRun: o.dryRun ?? false };
      const change = await open(ctx.config(), (backend) => backend.pause(request));
      if (o.json) ctx.print(change);
      else ctx.io.out(changeLines(change, 'pause'));
      return EXIT.ok;
    }),
  );
  registerResume(program, ctx, open);
}

function registerResume(program: Command, ctx: CliContext, open: OpenPauseBackend): void {
  const cmd = program
    .command('resume')
    .description('lift the emergency pause (default: every scope); held payouts go out at once (audited)')
    .addOption(scopeOption('what to lift: payouts, intake or all (the default)'))
    .requiredOption('--reason <text>', 'why (kept with the pause and in the audit row)')
    .option('--dry-run', 'say what would be lifted, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow resume --reason "INC-2211 fixed and verified" --dry-run',
      'escrow resume --scope intake --reason "gateway back"',
    ],
    output: 'a line per pause lifted; with --json {"dryRun", "changed": [{..., "liftedAt", "liftedBy"}], "status"}',
    notes: ['A process started with MAINTENANCE_MODE=true pauses again at its next start: set it to false first.'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ scope?: PauseTarget; reason: string; dryRun?: boolean; json?: boolean }>();
      const request = { scope: o.scope ?? 'all', reason: checkReason(cmd, o.reason), dryRun: o.dryRun ?? false };
      const change = await open(ctx.config(), (backend) => backend.resume(request));
      if (o.json) ctx.print(change);
      else ctx.io.out(changeLines(change, 'resume'));
      return EXIT.ok;
    }),
  );
}

function checkReason(cmd: Command, reason: string | undefined): string {
  if (reason === undefined) usageError(cmd, 'required option --reason <text> not specified');
  if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
  return reason;
}

/** What `escrow pause` / `escrow resume` print for a person. */
export function changeLines(change: PauseChange, action: 'pause' | 'resume'): string {
  const verb = action === 'pause' ? 'paused' : 'lifted';
  const lines = change.changed.map(
    (p) => `${change.dryRun ? `dry run, nothing changed: would be ${verb}` : verb}: ${describePause(p)}`,
  );
  if (change.changed.length === 0) lines.push(`nothing to ${action}: every scope named already was so`);
  const inForce = [change.status.payouts, change.status.intake].filter((p) => p !== null);
  lines.push(
    inForce.length === 0 ? 'in force: nothing is paused' : `in force: ${inForce.map(describePause).join('; ')}`,
  );
  return `${lines.join('\n')}\n`;
}

/** What `escrow pause status` prints for a person. */
export function reportLines(r: PauseReport): string {
  const lines = (['payouts', 'intake'] as const).map((s) => {
    const p = r[s];
    return p ? `PAUSED ${describePause(p)}` : `${s}: not paused`;
  });
  if (r.history.length > 0) lines.push('latest pauses:', ...r.history.map((p) => `  ${describePause(p)}`));
  return `${lines.join('\n')}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new InvalidArgumentError('--limit takes 1 to 100');
  return limit;
}
