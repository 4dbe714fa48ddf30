import { Option, type Command } from 'commander';
import type { RotationReport } from '../../app/vault.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';

/**
 * `escrow vault rotate`: every vault secret sealed under a key of VAULT_KEYS_PREVIOUS is opened and sealed again
 * under VAULT_KEY, one audit row per secret with the CLI's admin actor and the reason; --dry-run only counts. Through
 * the embedded server's POST /api/admin/vault/rotate while it holds the data directory.
 */
export function registerVaultRotate(vault: Command, ctx: CliContext): void {
  const cmd = vault
    .command('rotate')
    .description('reseal every vault secret under VAULT_KEY, so the keys in VAULT_KEYS_PREVIOUS can be dropped')
    .requiredOption('--reason <text>', 'why (kept in the audit row of every secret resealed)')
    .option('--dry-run', 'count the secrets per key, reseal nothing')
    .addOption(new Option('--json', 'print the report as JSON on stdout instead of lines'));
  documented(cmd, {
    examples: [
      'escrow vault rotate --reason "quarterly rotation" --dry-run',
      'VAULT_KEY=k2:… VAULT_KEYS_PREVIOUS=k1:… escrow vault rotate --reason "quarterly rotation" --json',
    ],
    output:
      'a line per key with its secrets and what was resealed; with --json {"dryRun", "currentKeyId", "byKey", ' +
      '"resealed", "remaining"}',
    notes: ['Once "remaining" is 0 (after a run, not a dry run) the previous keys can be removed from the config.'],
    failure: 'refused (VAULT_UNAVAILABLE without VAULT_KEY; a key sealing a stored secret is not configured)',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ reason: string; dryRun?: boolean; json?: boolean }>();
      if (o.reason.trim() === '' || o.reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      const report = await withBackend(ctx.config(), (backend) =>
        backend.vaultRotate({ reason: o.reason, dryRun: o.dryRun ?? false }),
      );
      if (o.json) ctx.print(report);
      else ctx.io.out(rotationLines(report));
      return EXIT.ok;
    }),
  );
}

/** What `escrow vault rotate` prints for a person. */
export function rotationLines(r: RotationReport): string {
  const keys = Object.entries(r.byKey).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    r.dryRun
      ? `dry run, nothing resealed: ${r.remaining} secret(s) would be resealed under ${r.currentKeyId}`
      : `resealed ${r.resealed} secret(s) under ${r.currentKeyId}; ${r.remaining} remain under other keys`,
    ...keys.map(([id, n]) => `key ${id}${id === r.currentKeyId ? ' (current)' : ''}: ${n} secret(s) before the run`),
  ];
  if (keys.length === 0) lines.push('no vault secrets are stored');
  return `${lines.join('\n')}\n`;
}
