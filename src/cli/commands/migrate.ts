import { Option, type Command } from 'commander';
import { loadMigrations, type Migration } from '../../adapters/db/migrate.js';
import type { MigrationStatus } from '../../app/operations.js';
import { withBackend } from '../engine.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';

type MigrationRow = NonNullable<MigrationStatus['migrations']>[number];

/**
 * `escrow migrate`: pending numbered migrations, under the runner's advisory lock (audited as migrations.apply).
 * `--status` compares this release's migrations with the database's (exit 1 while one is pending or changed);
 * `--dry-run` lists what would be applied. Neither applies or audits anything.
 */
export function registerMigrate(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command('migrate')
    .description('apply pending numbered migrations (migrations/*.sql) under an advisory lock')
    .addOption(
      new Option(
        '--status',
        'show every migration: applied (when), pending, or unknown to this release; changed files',
      ).conflicts('dryRun'),
    )
    .addOption(new Option('--dry-run', 'list the migrations `escrow migrate` would apply; applies nothing'))
    .addOption(new Option('--json', 'print JSON on stdout (without --status or --dry-run, the default)'));
  documented(cmd, {
    examples: [
      'escrow migrate',
      'DATABASE_URL=postgres://escrow@db:5432/escrow escrow migrate',
      'escrow migrate --dry-run',
      'escrow migrate --status --json | jq ".migrations[] | select(.state != \\"applied\\")"',
      'escrow migrate --status && echo "schema ready for this release"',
    ],
    output:
      'JSON on stdout: {"applied": [the migrations applied now], "database": "pglite" | "postgres"}. With --status or ' +
      '--dry-run a table, or with --json {"database", "migrations": [{"version", "name", "state": "applied" | ' +
      '"pending" | "unknown", "appliedAt", "changed"}], "pending", "changed", "unknown"} and {"database", "dryRun": ' +
      'true, "wouldApply": [{"version", "name", "bytes"}]}',
    failure: 'with --status, a migration pending or an applied file changed; else any failure',
    notes: [
      '"unknown": applied, but no file of this release (a newer schema, as after rolling the code back): not a',
      'failure, since each release works with the next one\'s schema. "changed" compares the SQL (comment-only lines',
      'left out) with its sha256 recorded when applied; migrations applied before checksums were recorded have none.',
      'Through a running embedded server --status has no applied-at times or checksums (its admin API lists names).',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ status?: boolean; dryRun?: boolean; json?: boolean }>();
      const config = ctx.config();
      const database = config.database.mode;
      if (!o.status && !o.dryRun) {
        return withBackend(config, async (backend) => {
          // a running embedded server migrated its directory when it started: it then reports none applied
          ctx.print({ applied: (await backend.migrate()).applied, database });
          return EXIT.ok;
        });
      }
      const files = loadMigrations();
      const status = await withBackend(config, (backend) => backend.migrationStatus());
      const rows = status.migrations ?? rowsFromNames(status, files);
      if (o.dryRun) {
        const wouldApply = wouldBeApplied(rows, files);
        if (o.json) ctx.print({ database, dryRun: true, wouldApply });
        else ctx.io.out(dryRunText(wouldApply));
        return EXIT.ok;
      }
      const counts = countsOf(rows);
      if (o.json) ctx.print({ database, migrations: rows, ...counts });
      else ctx.io.out(statusText(rows, counts, status.migrations === undefined));
      return counts.pending === 0 && counts.changed === 0 ? EXIT.ok : EXIT.failure;
    }),
  );
}

/** What an admin API without per-migration states answers, as rows: names only (no times, no checksums). */
export function rowsFromNames(status: MigrationStatus, files: readonly Migration[]): MigrationRow[] {
  const known = new Map(files.map((m) => [m.name, m]));
  const row = (name: string, state: MigrationRow['state']): MigrationRow => ({
    version: Number(name.slice(0, 3)),
    name,
    state,
    appliedAt: null,
    changed: null,
  });
  return [
    ...status.installed.map((name) => row(name, known.has(name) ? 'applied' : 'unknown')),
    ...status.pending.map((name) => row(name, 'pending')),
  ].sort((a, b) => a.version - b.version);
}

export interface WouldApply {
  version: number;
  name: string;
  /** The file's size in bytes (UTF-8). */
  bytes: number;
}

/** The pending migrations, in the order `escrow migrate` applies them. */
export function wouldBeApplied(rows: readonly MigrationRow[], files: readonly Migration[]): WouldApply[] {
  const sql = new Map(files.map((m) => [m.name, m.sql]));
  return rows
    .filter((r) => r.state === 'pending')
    .map((r) => ({ version: r.version, name: r.name, bytes: Buffer.byteLength(sql.get(r.name) ?? '', 'utf8') }));
}

export interface MigrationCounts {
  pending: number;
  changed: number;
  unknown: number;
}

export function countsOf(rows: readonly MigrationRow[]): MigrationCounts {
  return {
    pending: rows.filter((r) => r.state === 'pending').length,
    changed: rows.filter((r) => r.changed === true).length,
    unknown: rows.filter((r) => r.state === 'unknown').length,
  };
}

const STATE_TEXT: Record<string, string> = {
  applied: 'applied',
  pending: 'PENDING',
  unknown: 'applied, unknown to this release',
};

/** `escrow migrate --status` for a person: one line per migration, then what it adds up to. */
export function statusText(rows: readonly MigrationRow[], counts: MigrationCounts, namesOnly: boolean): string {
  const lines = table(
    ['VERSION', 'NAME', 'STATE', 'APPLIED AT', 'FILE'],
    rows.map((r) => [
      String(r.version).padStart(3, '0'),
      r.name,
      STATE_TEXT[r.state] ?? r.state,
      r.appliedAt ?? '-',
      r.state !== 'applied' || namesOnly ? '-' : r.changed === null ? 'no checksum' : r.changed ? 'CHANGED' : 'same',
    ]),
  );
  const summary = [`${counts.pending} pending`, `${counts.changed} changed since applied`];
  if (counts.unknown > 0) summary.push(`${counts.unknown} unknown to this release (a newer schema: it works with it)`);
  lines.push(summary.join(', '));
  if (namesOnly) lines.push('(through the running server: its answer has no applied-at times or checksums)');
  if (counts.pending > 0) lines.push('run `escrow migrate` to apply the pending ones');
  if (counts.changed > 0) lines.push('a migration is never edited once released: restore the file, add a new one');
  return `${lines.join('\n')}\n`;
}

/** `escrow migrate --dry-run` for a person. */
export function dryRunText(wouldApply: readonly WouldApply[]): string {
  if (wouldApply.length === 0) return 'nothing to apply: the schema is up to date (dry run: nothing was changed)\n';
  const lines = table(
    ['VERSION', 'NAME', 'BYTES'],
    wouldApply.map((m) => [String(m.version).padStart(3, '0'), m.name, String(m.bytes)]),
  );
  lines.push(`${wouldApply.length} would be applied, in this order (dry run: nothing was changed)`);
  return `${lines.join('\n')}\n`;
}
