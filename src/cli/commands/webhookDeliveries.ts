import { InvalidArgumentError, Option, type Command } from 'commander';
import { isUuid } from '../../app/ids.js';
import type { DeliveryRecord, DeliveryStatus, WebhookMessage } from '../../app/ports/webhookEndpointStore.js';
import type { DeliveriesQuery, DeliveryPage, RecoverInput, ResendResult } from '../../app/webhookEndpointTypes.js';
import type { Config } from '../../config/index.js';
import { TEXT_MAX_LENGTH } from '../../domain/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { table } from '../table.js';

// `escrow webhook-endpoints deliveries|resend|recover` (issue 14 §3): an endpoint's attempt log, one message sent
// again, or what it missed in a time window. The endpoint commands themselves are in ./webhookEndpoints.ts; this
// file also holds what both use (the options, the checks of ids and reasons).

/** The delivery log's side of what the webhook-endpoints commands run on (the engine, or the server's API). */
export interface WebhookDeliveryBackend {
  webhookDeliveries(query: DeliveriesQuery): Promise<DeliveryPage>;
  webhookResend(endpointId: string, eventId: string, input: { reason: string; dryRun: boolean }): Promise<ResendResult>;
  webhookRecover(endpointId: string, input: RecoverInput & { reason: string; dryRun: boolean }): Promise<ResendResult>;
}

export type OpenWebhookDeliveryBackend = <T>(
  config: Config,
  run: (backend: WebhookDeliveryBackend) => Promise<T>,
) => Promise<T>;

export const jsonOutput = () => new Option('--json', 'print JSON on stdout instead of lines');
export const reasonOption = () => new Option('--reason <text>', 'why (kept in the audit log)').makeOptionMandatory();

/** A usage error (exit 2) unless `id` is an endpoint id. */
export function checkEndpointId(cmd: Command, id: string): void {
  if (!isUuid(id)) usageError(cmd, '<endpointId> takes a webhook endpoint id (escrow webhook-endpoints list)');
}

export function checkReason(cmd: Command, reason: string): void {
  const max = TEXT_MAX_LENGTH.reason;
  if (reason.trim() === '' || reason.length > max) usageError(cmd, `--reason takes 1 to ${max} characters`);
}

const STATUSES: readonly DeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];

export function registerDeliveryCommands(group: Command, ctx: CliContext, open: OpenWebhookDeliveryBackend): void {
  registerDeliveries(group, ctx, open);
  registerResend(group, ctx, open);
  registerRecover(group, ctx, open);
}

function registerDeliveries(group: Command, ctx: CliContext, open: OpenWebhookDeliveryBackend): void {
  const cmd = group
    .command('deliveries <endpointId>')
    .description("an endpoint's messages, newest first, each with its attempt log")
    .option('--event <eventId>', "one event's message (the webhook-id header)")
    .addOption(new Option('--status <status>', 'only these').choices([...STATUSES]))
    .option('--limit <n>', 'messages per page (1-200)', parseLimit, 50)
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow webhook-endpoints deliveries <endpointId> --status FAILED',
      'escrow webhook-endpoints deliveries <endpointId> --event <eventId> --json',
    ],
    output:
      'a line per message and a table of its attempts (number, time, HTTP status, latency, outcome, error or ' +
      'response); with --json {"data": [{"eventId", "eventType", "status", "attempts", ..., "attemptLog": [...]}], ' +
      '"nextCursor"}',
  });
  cmd.action(
    exitWith(ctx, async (endpointId: string) => {
      const o = cmd.opts<{ event?: string; status?: DeliveryStatus; limit: number; cursor?: string; json?: boolean }>();
      checkEndpointId(cmd, endpointId);
      if (o.event !== undefined && !isUuid(o.event)) usageError(cmd, '--event takes an event id (a UUID)');
      const query: DeliveriesQuery = {
        endpointId,
        ...(o.event ? { eventId: o.event } : {}),
        ...(o.status ? { status: o.status } : {}),
        limit: o.limit,
        cursor: o.cursor ?? null,
      };
      const page = await open(ctx.config(), (backend) => backend.webhookDeliveries(query));
      if (o.json) ctx.print(page);
      else ctx.io.out(deliveryLines(page));
      return EXIT.ok;
    }),
  );
}

function registerResend(group: Command, ctx: CliContext, open: OpenWebhookDeliveryBackend): void {
  const cmd = group
    .command('resend <endpointId> <eventId>')
    .description("send one event's message again, as a fresh delivery with the same webhook-id (audited)")
    .addOption(reasonOption())
    .option('--dry-run', 'show the message it would queue, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow webhook-endpoints resend <endpointId> <eventId> --reason "receiver lost it (SUPPORT-881)"'],
    output: 'what was queued; with --json {"endpointId", "queued", "dryRun", "messages": [...]}',
    failure:
      'refused (no such endpoint or message: WEBHOOK_MESSAGE_NOT_FOUND; still being delivered: WEBHOOK_MESSAGE_PENDING)',
  });
  cmd.action(
    exitWith(ctx, async (endpointId: string, eventId: string) => {
      const o = cmd.opts<{ reason: string; dryRun?: boolean; json?: boolean }>();
      checkEndpointId(cmd, endpointId);
      if (!isUuid(eventId)) usageError(cmd, '<eventId> takes an event id (the webhook-id header; a UUID)');
      checkReason(cmd, o.reason);
      const input = { reason: o.reason, dryRun: o.dryRun ?? false };
      const result = await open(ctx.config(), (backend) => backend.webhookResend(endpointId, eventId, input));
      if (o.json) ctx.print(result);
      else ctx.io.out(queuedLines(result));
      return EXIT.ok;
    }),
  );
}

function registerRecover(group: Command, ctx: CliContext, open: OpenWebhookDeliveryBackend): void {
  const cmd = group
    .command('recover <endpointId>')
    .description('send again what an endpoint missed (failed, or never sent) in a time window (audited)')
    .requiredOption('--since <time>', 'events that occurred at or after this time (ISO 8601)')
    .option('--until <time>', 'and before this time (ISO 8601; default now; at most 31 days after --since)')
    .option('--include-delivered', 'delivered messages too')
    .addOption(reasonOption())
    .option('--dry-run', 'count and list what it would queue, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow webhook-endpoints recover <endpointId> --since 2026-12-02T08:00:00Z --reason "receiver outage" --dry-run',
      'escrow webhook-endpoints recover <endpointId> --since 2026-12-01T00:00:00Z --include-delivered --reason "…"',
    ],
    output: 'how many were queued and the first 100; with --json {"endpointId", "queued", "dryRun", "messages": [...]}',
  });
  cmd.action(
    exitWith(ctx, async (endpointId: string) => {
      const o = cmd.opts<{
        since: string;
        until?: string;
        includeDelivered?: boolean;
        reason: string;
        dryRun?: boolean;
        json?: boolean;
      }>();
      checkEndpointId(cmd, endpointId);
      checkReason(cmd, o.reason);
      const input = {
        since: o.since,
        ...(o.until === undefined ? {} : { until: o.until }),
        includeDelivered: o.includeDelivered ?? false,
        reason: o.reason,
        dryRun: o.dryRun ?? false,
      };
      const result = await open(ctx.config(), (backend) => backend.webhookRecover(endpointId, input));
      if (o.json) ctx.print(result);
      else ctx.io.out(queuedLines(result));
      return EXIT.ok;
    }),
  );
}

/** What `deliveries` prints for a person: a line per message, its attempts as a table under it. */
export function deliveryLines(page: DeliveryPage): string {
  if (page.data.length === 0) return 'no messages\n';
  const lines = page.data.flatMap((m) => [messageLine(m), ...attemptTable(m).map((l) => `  ${l}`)]);
  if (page.nextCursor) lines.push(`more: the same command with --cursor ${page.nextCursor}`);
  return `${lines.join('\n')}\n`;
}

function messageLine(m: WebhookMessage): string {
  const tries = `${m.attempts} attempt${m.attempts === 1 ? '' : 's'}`;
  const where =
    m.status === 'DELIVERED'
      ? `delivered ${m.deliveredAt ?? '?'}`
      : m.status === 'PENDING'
        ? `next attempt ${m.nextAttemptAt ?? 'when the endpoint is enabled'}`
        : `last error: ${m.lastError ?? '?'}`;
  return `${m.status} ${m.eventType} event ${m.eventId} (escrow ${m.escrowId} #${m.sequence}): ${tries}, ${where}`;
}

function attemptTable(m: DeliveryRecord): string[] {
  if (m.attemptLog.length === 0) return ['no attempt yet'];
  const rows = m.attemptLog.map((a) => [
    String(a.attempt),
    a.at,
    a.status === null ? '-' : String(a.status),
    `${a.latencyMs} ms`,
    a.outcome,
    [a.error, a.responseExcerpt].filter((t) => t).join(': '),
  ]);
  return table(['#', 'AT', 'HTTP', 'LATENCY', 'OUTCOME', 'ERROR / RESPONSE'], rows);
}

/** What `resend` and `recover` print for a person. */
export function queuedLines(r: ResendResult): string {
  const what = r.dryRun ? 'dry run, nothing queued: would queue' : 'queued';
  const head = `${what} ${r.queued} message${r.queued === 1 ? '' : 's'} for endpoint ${r.endpointId}`;
  if (r.messages.length === 0) return `${head}\n`;
  const rows = r.messages.map((m) => [m.eventId, m.eventType, m.escrowId, String(m.sequence), m.status]);
  const shown = r.queued > r.messages.length ? [`(the first ${r.messages.length} shown)`] : [];
  return `${[head, ...table(['EVENT', 'TYPE', 'ESCROW', 'SEQ', 'STATUS'], rows), ...shown].join('\n')}\n`;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > 200) throw new InvalidArgumentError('--limit takes 1 to 200');
  return limit;
}
