import { InvalidArgumentError, Option, type Command } from 'commander';
import type { WebhookSelection } from '../../app/ports/index.js';
import type { ReprocessedWebhook } from '../../app/webhookProcessor.js';
import type { FailedWebhook } from '../../http/routes/webhookAdmin.js';
import { exitWith, type CliContext } from '../context.js';
import { withBackend } from '../engine.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';

// `escrow webhooks failed|reprocess` (SPEC §8, seed 004's runbook): provider events stored unprocessed, listed with
// their last error (metadata only, never their bodies), and reprocessed — verified again over the stored raw bytes,
// applied at most once, with a dry run, audited as `webhooks.reprocess` with who and why.

const MAX = 500;

interface SelectionOptions {
  provider?: string;
  since?: string;
  limit: number;
  json?: boolean;
}

/** `--json` here: these commands print a table for a person otherwise. */
const jsonInstead = () => new Option('--json', 'print JSON on stdout instead of a table (bigints as digit strings)');

export function registerWebhooks(group: Command, ctx: CliContext): void {
  registerFailed(group, ctx);
  registerReprocess(group, ctx);
}

function selectionOptions(cmd: Command): Command {
  return cmd
    .option('--provider <name>', 'only this provider (e.g. sandbox, stripe, paystack)', parseProvider)
    .option('--since <time>', 'only events received at or after this ISO 8601 time', parseSince)
    .option('--limit <n>', `at most this many, oldest first (1-${MAX})`, parseLimit, 100)
    .addOption(jsonInstead());
}

function selectionOf(o: SelectionOptions & { eventId?: string }): WebhookSelection {
  return {
    limit: o.limit,
    ...(o.provider ? { provider: o.provider } : {}),
    ...(o.eventId ? { eventId: o.eventId } : {}),
    ...(o.since ? { since: o.since } : {}),
  };
}

function registerFailed(group: Command, ctx: CliContext): void {
  const cmd = selectionOptions(
    group.command('failed').description('provider events stored unprocessed, with their last error, oldest first'),
  );
  documented(cmd, {
    examples: [
      'escrow webhooks failed',
      'escrow webhooks failed --provider stripe --since 2026-11-23T09:00:00Z --json',
    ],
    output:
      'a table, or with --json {"items": [{"provider", "eventId", "type", "escrowId", "attempts", "lastError", ' +
      '"receivedAt", "reprocessable"}]}',
    notes: [
      'Bodies and headers are kept for reprocessing but never printed (they may hold personal data).',
      'reprocessable: false: stored before raw bytes were kept, or its provider is not enabled here.',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<SelectionOptions>();
      return withBackend(ctx.config(), async (backend) => {
        const items = await backend.webhooksFailed(selectionOf(o));
        if (o.json) ctx.print({ items });
        else ctx.io.out(failedTable(items));
        return EXIT.ok;
      });
    }),
  );
}

function registerReprocess(group: Command, ctx: CliContext): void {
  const cmd = selectionOptions(
    group
      .command('reprocess')
      .description('verify failed events again over their stored raw bytes and apply them (audited)')
      .option('--event-id <id>', "only this event (the provider's event id)", parseEventId)
      .requiredOption('--reason <text>', 'why (kept in the audit row)')
      .option('--dry-run', 'list what would be reprocessed, changing nothing'),
  );
  documented(cmd, {
    examples: [
      'escrow webhooks reprocess --provider stripe --reason "escrow created after its payment webhook" --dry-run',
      'escrow webhooks reprocess --provider stripe --event-id evt_1 --reason "escrow created after its webhook"',
    ],
    output:
      'a line per event, or with --json {"dryRun", "results": [{"provider", "eventId", "type", "lastError", ' +
      '"result": {"status": "processed"|"duplicate"|"failed"|"skipped"|"would reprocess", ...}}]}',
    notes: [
      'An event already processed is never applied again; one whose stored bytes no longer verify is skipped.',
      'Audited as webhooks.reprocess (who, the selection, the outcome counts, --reason); a dry run is not.',
    ],
    failure: 'an event failed again or was skipped (or any failure)',
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<SelectionOptions & { eventId?: string; reason: string; dryRun?: boolean }>();
      if (o.reason.trim() === '' || o.reason.length > 500) usageError(cmd, '--reason takes 1 to 500 characters');
      const dryRun = o.dryRun ?? false;
      return withBackend(ctx.config(), async (backend) => {
        const out = await backend.webhooksReprocess(selectionOf(o), o.reason, dryRun);
        if (o.json) ctx.print(out);
        else ctx.io.out(reprocessLines(out.dryRun, out.results));
        const notApplied = out.results.some((r) => r.result.status === 'failed' || r.result.status === 'skipped');
        return notApplied ? EXIT.failure : EXIT.ok;
      });
    }),
  );
}

export function failedTable(items: readonly FailedWebhook[]): string {
  if (items.length === 0) return 'no failed webhooks\n';
  const header = ['PROVIDER', 'EVENT', 'TYPE', 'ESCROW', 'ATTEMPTS', 'RECEIVED', 'REPROCESSABLE', 'LAST ERROR'];
  const rows = items.map((w) => [
    w.provider,
    w.eventId,
    w.type,
    w.escrowId ?? '-',
    String(w.attempts),
    w.receivedAt,
    w.reprocessable ? 'yes' : 'no',
    w.lastError ?? '-',
  ]);
  return `${table(header, rows).join('\n')}\n${items.length} failed webhook(s)\n`;
}

function resultText(r: ReprocessedWebhook['result']): string {
  switch (r.status) {
    case 'processed':
      return `processed: ${r.outcome}${r.escrowId ? ` (escrow ${r.escrowId})` : ''}`;
    case 'duplicate':
      return 'duplicate: already applied, nothing changed';
    case 'failed':
      return `failed again: ${r.error}`;
    case 'skipped':
      return `skipped: ${r.reason}`;
    case 'would reprocess':
      return 'would reprocess';
  }
}

export function reprocessLines(dryRun: boolean, results: readonly ReprocessedWebhook[]): string {
  if (results.length === 0) return 'no failed webhooks to reprocess\n';
  const lines = results.map((r) => `${r.provider} ${r.eventId} ${r.type}: ${resultText(r.result)}`);
  const n = (s: string) => results.filter((r) => r.result.status === s).length;
  const summary = dryRun
    ? `dry run: ${n('would reprocess')} would be reprocessed, ${n('skipped')} skipped; nothing changed`
    : `${n('processed')} processed, ${n('duplicate')} duplicate, ${n('failed')} failed again, ${n('skipped')} skipped`;
  return `${lines.join('\n')}\n${summary}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX) throw new InvalidArgumentError(`--limit takes 1 to ${MAX}`);
  return limit;
}

function parseProvider(value: string): string {
  if (!/^[a-z0-9_-]{1,40}$/.test(value)) {
    throw new InvalidArgumentError('--provider takes a provider name (e.g. sandbox, stripe, paystack)');
  }
  return value;
}

function parseEventId(value: string): string {
  if (value.length < 1 || value.length > 255) throw new InvalidArgumentError('--event-id takes 1 to 255 characters');
  return value;
}

function parseSince(value: string): string {
  const t = Date.parse(value);
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(t)) {
    throw new InvalidArgumentError('--since takes an ISO 8601 time, e.g. 2026-11-23T09:00:00Z');
  }
  return new Date(t).toISOString();
}
