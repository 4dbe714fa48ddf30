import { InvalidArgumentError, Option, type Command } from 'commander';
import { describeRevocation, type RevokeInput, type RevokeOutcome, type TokenService } from '../../app/tokens.js';
import type { TokenRevocation } from '../../app/ports/tokenRevocationStore.js';
import type { Config } from '../../config/index.js';
import type { Actor } from '../../domain/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

// `escrow tokens revoke --jti <id> | --subject <sub> --reason …`, `escrow tokens list` (issue 13 item 4, seed 004):
// revoked tokens are refused (401 TOKEN_REVOKED) on every replica within 2 s. Revocations are made as the CLI's admin
// actor (the operating-system user) with a mandatory reason and audited; --dry-run stores nothing. While the embedded
// server holds the data directory they go through its admin API (/api/admin/tokens/...), like every other command.

/** What the tokens commands run on: this process's engine, or the embedded server's admin API. */
export interface TokenBackend {
  revokeToken(request: RevokeInput & { dryRun: boolean }): Promise<RevokeOutcome>;
  revocations(limit: number): Promise<{ items: TokenRevocation[] }>;
}

/** How a command gets its backend: `withBackend` (src/cli/engine.ts). */
export type OpenTokenBackend = <T>(config: Config, run: (backend: TokenBackend) => Promise<T>) => Promise<T>;

/** Revocation on this process's engine: `withService` opens it (and closes it after), `actor` is the CLI's. */
export function localTokenBackend(
  withService: <T>(run: (service: TokenService) => Promise<T>) => Promise<T>,
  actor: Actor,
): TokenBackend {
  return {
    revokeToken: (request) => withService((s) => s.revoke(actor, request)),
    revocations: (limit) => withService((s) => s.list(limit)),
  };
}

/** Revocation through the embedded server's admin API; `call` answers the body or throws the server's problem. */
export function serverTokenBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): TokenBackend {
  return {
    revokeToken: (request) => call('POST', '/api/admin/tokens/revoke', request),
    revocations: (limit) => call('GET', `/api/admin/tokens/revocations?limit=${limit}`),
  };
}

const jsonOutput = () => new Option('--json', 'print JSON on stdout instead of lines');

/** The `tokens` group: `revoke` and `list`. */
export function registerTokens(tokens: Command, ctx: CliContext, open: OpenTokenBackend): void {
  registerRevoke(tokens, ctx, open);
  registerList(tokens, ctx, open);
}

function registerRevoke(tokens: Command, ctx: CliContext, open: OpenTokenBackend): void {
  const cmd = tokens
    .command('revoke')
    .description('revoke one token (--jti) or every token of a subject issued before now, on every replica (audited)')
    .addOption(new Option('--jti <id>', 'one token: its id (the jti claim)').conflicts('subject'))
    .addOption(new Option('--subject <sub>', 'every token of this subject issued before now').conflicts('jti'))
    .option('--reason <text>', 'why (kept with the revocation and in the audit row)')
    .option('--dry-run', 'say what would be revoked, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow tokens revoke --subject ops-mallory --reason "seed 004: admin laptop stolen" --dry-run',
      'escrow tokens revoke --jti 0190f0c8-0000-4000-8000-00000000a001 --reason "token pasted in a ticket"',
    ],
    output:
      'a line saying what was (or would be) revoked; with --json {"dryRun", "revoked", "revocation": {"id", ' +
      '"kind", "value", "reason", "revokedBy", "revokedAt"}}',
    notes: [
      'The token is refused (401 TOKEN_REVOKED) on every replica within 2 s. A subject revocation refuses the',
      "subject's tokens issued before now (or without iat); tokens minted after it work. Revoking a token id",
      'again keeps its first revocation. To refuse every token at once, rotate JWT_SECRET (docs/operations.md).',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ jti?: string; subject?: string; reason?: string; dryRun?: boolean; json?: boolean }>();
      if (o.jti === undefined && o.subject === undefined) usageError(cmd, 'give --jti <id> or --subject <sub>');
      if (o.reason === undefined) usageError(cmd, 'required option --reason <text> not specified');
      if (o.reason.trim() === '' || o.reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      const request = {
        ...(o.jti !== undefined ? { jti: o.jti } : { subject: o.subject! }),
        reason: o.reason,
        dryRun: o.dryRun ?? false,
      };
      const outcome = await open(ctx.config(), (backend) => backend.revokeToken(request));
      if (o.json) ctx.print(outcome);
      else ctx.io.out(`${outcomeLine(outcome)}\n`);
      return EXIT.ok;
    }),
  );
}

function registerList(tokens: Command, ctx: CliContext, open: OpenTokenBackend): void {
  const cmd = tokens
    .command('list')
    .description('the token revocations, newest first')
    .option('--limit <n>', 'how many (1-100)', parseLimit, 20)
    .addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow tokens list', 'escrow tokens list --limit 100 --json'],
    output:
      'a line per revocation; with --json {"items": [{"id", "kind", "value", "reason", "revokedBy", "revokedAt"}]}',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ limit: number; json?: boolean }>();
      const list = await open(ctx.config(), (backend) => backend.revocations(o.limit));
      if (o.json) ctx.print(list);
      else ctx.io.out(listLines(list.items));
      return EXIT.ok;
    }),
  );
}

/** What `escrow tokens revoke` prints for a person. */
export function outcomeLine(o: RevokeOutcome): string {
  if (!o.revoked) return `already revoked, nothing changed: ${describeRevocation(o.revocation)}`;
  return `${o.dryRun ? 'dry run, nothing changed: would record: ' : ''}${describeRevocation(o.revocation)}`;
}

/** What `escrow tokens list` prints for a person. */
export function listLines(items: readonly TokenRevocation[]): string {
  if (items.length === 0) return 'no token has been revoked\n';
  return `${items.map(describeRevocation).join('\n')}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 100) throw new InvalidArgumentError('--limit takes 1 to 100');
  return limit;
}
