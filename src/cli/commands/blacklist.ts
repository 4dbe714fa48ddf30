import { InvalidArgumentError, Option, type Command } from 'commander';
import type { BlacklistAddInput, BlacklistChange, BlacklistPage, BlacklistService } from '../../app/blacklist.js';
import { isUuid } from '../../app/ids.js';
import type { BlacklistEntry, BlacklistKind } from '../../app/ports/blacklistStore.js';
import type { Config } from '../../config/index.js';
import type { Actor } from '../../domain/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

// `escrow blacklist add|remove|list` (SPEC §6, seed 003 RB-04): user ids and wallet addresses barred from new escrows
// and whose payments are refunded. Changes are made as the CLI's admin actor (the operating-system user) with a
// mandatory reason and audited; --dry-run checks and stores nothing. While the embedded server holds the data
// directory they go through its admin API (/api/admin/blacklist), like every other command.

/** An add as the CLI asks for it: the service's input, dry run included. */
export type BlacklistAddRequest = BlacklistAddInput & { dryRun: boolean };

export interface BlacklistListRequest {
  kind?: BlacklistKind;
  /** true: entries in force only; absent: every entry (--all). */
  active?: boolean;
  limit: number;
  cursor: string | null;
}

/** What the blacklist commands run on: this process's engine, or the embedded server's admin API. */
export interface BlacklistBackend {
  blacklistAdd(request: BlacklistAddRequest): Promise<BlacklistChange>;
  blacklistRemove(entryId: string, reason: string, dryRun: boolean): Promise<BlacklistChange>;
  blacklistList(request: BlacklistListRequest): Promise<BlacklistPage>;
}

/** How a command gets its backend: `withBackend` (src/cli/engine.ts) once Backend includes BlacklistBackend. */
export type OpenBlacklistBackend = <T>(config: Config, run: (backend: BlacklistBackend) => Promise<T>) => Promise<T>;

/** The blacklist on this process's engine: `withService` opens it (and closes it after), `actor` is the CLI's. */
export function localBlacklistBackend(
  withService: <T>(run: (service: BlacklistService) => Promise<T>) => Promise<T>,
  actor: Actor,
): BlacklistBackend {
  return {
    blacklistAdd: (request) => withService((s) => s.add(actor, request)),
    blacklistRemove: (id, reason, dryRun) => withService((s) => s.remove(actor, { id, reason, dryRun })),
    blacklistList: ({ limit, cursor, ...filter }) => withService((s) => s.list({ ...filter, limit, cursor })),
  };
}

/** The blacklist through the embedded server's admin API; `call` answers the body or throws the server's problem. */
export function serverBlacklistBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): BlacklistBackend {
  return {
    blacklistAdd: (request) => call('POST', '/api/admin/blacklist', request),
    blacklistRemove: (id, reason, dryRun) =>
      call('POST', `/api/admin/blacklist/${encodeURIComponent(id)}/remove`, { reason, dryRun }),
    blacklistList: ({ kind, active, limit, cursor }) => {
      const q = new URLSearchParams({ limit: String(limit) });
      if (kind) q.set('kind', kind);
      if (active !== undefined) q.set('active', String(active));
      if (cursor) q.set('cursor', cursor);
      return call('GET', `/api/admin/blacklist?${q.toString()}`);
    },
  };
}

export function registerBlacklist(program: Command, ctx: CliContext, open: OpenBlacklistBackend): void {
  const group = documented(
    program.command('blacklist').description('blacklisted user ids and wallet addresses: add, remove, list (audited)'),
    {
      examples: [
        'escrow blacklist add --kind WALLET --value 0x8ba1… --reason "OFAC SDN match" --source OFAC',
        'escrow blacklist remove <entryId> --reason "appeal granted"',
        'escrow blacklist list --kind USER',
      ],
    },
  );
  registerAdd(group, ctx, open);
  registerRemove(group, ctx, open);
  registerList(group, ctx, open);
}

const KINDS = ['USER', 'WALLET'];

function registerAdd(group: Command, ctx: CliContext, open: OpenBlacklistBackend): void {
  const cmd = group
    .command('add')
    .description('blacklist a user id (no new escrows) or a wallet address (its payments are refunded)')
    .addOption(new Option('--kind <kind>', 'USER or WALLET').choices(KINDS).makeOptionMandatory())
    .requiredOption('--value <value>', 'the user id as in buyerId/sellerId, or the wallet address')
    .requiredOption('--reason <text>', 'why (kept in the entry and the audit row)')
    .option('--source <source>', 'where it came from: MANUAL (default), OFAC, CHAINALYSIS, SUPPORT_TICKET-123 ...')
    .option('--expires-at <time>', 'when it stops applying by itself (ISO 8601, in the future); default never')
    .option('--dry-run', 'check it (input, an entry already in force) and store nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow blacklist add --kind USER --value buyer-1042 --reason "chargeback fraud" --expires-at 2027-06-30T00:00:00Z',
      'escrow blacklist add --kind WALLET --value 0x8ba1… --reason "OFAC SDN match" --source OFAC --dry-run',
    ],
    output: 'a line saying what was added; with --json {"entry": {"id", "kind", "value", ...}, "dryRun"}',
    failure: 'refused (bad input, or the value already has an entry in force: BLACKLIST_ENTRY_EXISTS names it)',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{
        kind: BlacklistKind;
        value: string;
        reason: string;
        source?: string;
        expiresAt?: string;
        dryRun?: boolean;
        json?: boolean;
      }>();
      checkReason(cmd, o.reason);
      const request: BlacklistAddRequest = {
        kind: o.kind,
        value: o.value,
        reason: o.reason,
        ...(o.source === undefined ? {} : { source: o.source }),
        ...(o.expiresAt === undefined ? {} : { expiresAt: o.expiresAt }),
        dryRun: o.dryRun ?? false,
      };
      const change = await open(ctx.config(), (backend) => backend.blacklistAdd(request));
      if (o.json) ctx.print(change);
      else
        ctx.io.out(
          `${change.dryRun ? 'dry run, nothing stored: would add' : 'added'} ${describeEntry(change.entry)}\n`,
        );
      return EXIT.ok;
    }),
  );
}

function registerRemove(group: Command, ctx: CliContext, open: OpenBlacklistBackend): void {
  const cmd = group
    .command('remove <entryId>')
    .description('remove a blacklist entry (it stays in the history with who removed it and why)')
    .requiredOption('--reason <text>', 'why (kept in the entry and the audit row)')
    .option('--dry-run', 'show the entry as it would be removed, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow blacklist remove <entryId> --reason "appeal granted (SUPPORT_TICKET-456)" --dry-run'],
    output:
      'a line saying what was removed; with --json {"entry": {..., "removedAt", "removedBy", "removalReason"}, "dryRun"}',
    failure: 'refused (no such entry, or it was already removed: BLACKLIST_ENTRY_NOT_FOUND)',
  });
  cmd.action(
    exitWith(ctx, async (entryId: string) => {
      const o = cmd.opts<{ reason: string; dryRun?: boolean; json?: boolean }>();
      if (!isUuid(entryId)) usageError(cmd, '<entryId> takes a blacklist entry id (escrow blacklist list)');
      checkReason(cmd, o.reason);
      const dryRun = o.dryRun ?? false;
      const change = await open(ctx.config(), (backend) => backend.blacklistRemove(entryId, o.reason, dryRun));
      if (o.json) ctx.print(change);
      else {
        const what = change.dryRun ? 'dry run, nothing changed: would remove' : 'removed';
        ctx.io.out(`${what} ${describeEntry(change.entry)}; removal reason: ${change.entry.removalReason ?? ''}\n`);
      }
      return EXIT.ok;
    }),
  );
}

function registerList(group: Command, ctx: CliContext, open: OpenBlacklistBackend): void {
  const cmd = group
    .command('list')
    .description('blacklist entries in force, newest first (--all: removed and expired ones too)')
    .addOption(new Option('--kind <kind>', 'USER or WALLET only').choices(KINDS))
    .option('--all', 'every entry, removed and expired ones included (the history)')
    .option('--limit <n>', 'entries per page (1-100)', parseLimit, 50)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow blacklist list', 'escrow blacklist list --kind WALLET --all --json | jq .data'],
    output:
      'a line per entry (id, state, kind, value, source, reason, expiry); with --json {"data": [{"id", "kind", ' +
      '"value", "reason", "source", "expiresAt", "createdBy", "createdAt", "removedAt", ...}], "nextCursor"}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ kind?: BlacklistKind; all?: boolean; limit: number; cursor?: string; json?: boolean }>();
      const request: BlacklistListRequest = {
        ...(o.kind ? { kind: o.kind } : {}),
        ...(o.all ? {} : { active: true }),
        limit: o.limit,
        cursor: o.cursor ?? null,
      };
      const page = await open(ctx.config(), (backend) => backend.blacklistList(request));
      if (o.json) ctx.print(page);
      else ctx.io.out(listLines(page, new Date()));
      return EXIT.ok;
    }),
  );
}

const jsonOutput = () => new Option('--json', 'print JSON on stdout instead of lines');

function checkReason(cmd: Command, reason: string): void {
  if (reason.trim() === '' || reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
}

/** One entry for a person: `USER buyer-1 (entry <id>; OFAC: why; until …)`. */
export function describeEntry(e: BlacklistEntry): string {
  const until = e.expiresAt ? `until ${e.expiresAt}` : 'no expiry';
  return `${e.kind} ${e.value} (entry ${e.id}; ${e.source}: ${e.reason}; ${until})`;
}

/** What `escrow blacklist list` prints for a person; `now` decides which entries have expired. */
export function listLines(page: BlacklistPage, now: Date): string {
  if (page.data.length === 0) return 'no blacklist entries\n';
  const lines = page.data.map((e) => {
    const state = e.removedAt
      ? `REMOVED ${e.removedAt} by ${e.removedBy ?? '?'} (${e.removalReason ?? ''})`
      : e.expiresAt && Date.parse(e.expiresAt) <= now.getTime()
        ? 'EXPIRED'
        : 'ACTIVE';
    return `${state} ${describeEntry(e)}, added ${e.createdAt} by ${e.createdBy}`;
  });
  if (page.nextCursor) lines.push(`more: the same command with --cursor ${page.nextCursor}`);
  return `${lines.join('\n')}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new InvalidArgumentError('--limit takes 1 to 100');
  return limit;
}
