import { InvalidArgumentError, Option, type Command } from 'commander';
import type { WebhookEndpoint } from '../../app/ports/webhookEndpointStore.js';
import type {
  EndpointChange,
  EndpointCreateInput,
  EndpointUpdateInput,
  RotateSecretInput,
  WebhookEndpointApi,
} from '../../app/webhookEndpointTypes.js';
import type { Config } from '../../config/index.js';
import type { Actor } from '../../domain/index.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT, usageError } from '../exitCodes.js';
import { documented } from '../help.js';
import { listLines, printChange, showLines } from './webhookEndpointTables.js';
import {
  checkEndpointId,
  checkReason,
  jsonOutput,
  reasonOption,
  registerDeliveryCommands,
  type WebhookDeliveryBackend,
} from './webhookDeliveries.js';

// `escrow webhook-endpoints list|show|create|update|delete|rotate-secret` (issue 14 §1; deliveries, resend and recover
// in ./webhookDeliveries.ts): the marketplace's outgoing webhook endpoints. Changes are made as the CLI's admin actor
// (the operating-system user) with a mandatory reason and audited; --dry-run checks and stores nothing. While the
// embedded server holds the data directory they go through its API (/api/webhook-endpoints), like every command.

type Change<T> = T & { reason: string; dryRun: boolean };

/** What the webhook-endpoints commands run on: this process's engine, or the embedded server's API. */
export interface WebhookEndpointBackend extends WebhookDeliveryBackend {
  webhookEndpointList(): Promise<{ data: WebhookEndpoint[] }>;
  webhookEndpointShow(id: string): Promise<WebhookEndpoint>;
  webhookEndpointCreate(input: Change<EndpointCreateInput>): Promise<EndpointChange>;
  webhookEndpointUpdate(id: string, input: Change<EndpointUpdateInput>): Promise<EndpointChange>;
  webhookEndpointDelete(id: string, input: Change<object>): Promise<EndpointChange>;
  webhookEndpointRotateSecret(id: string, input: Change<RotateSecretInput>): Promise<EndpointChange>;
}

/** How a command gets its backend: `withBackend` (src/cli/engine.ts). */
export type OpenWebhookEndpointBackend = <T>(
  config: Config,
  run: (backend: WebhookEndpointBackend) => Promise<T>,
) => Promise<T>;

/** The endpoints on this process's engine: `withService` opens it (and closes it after), `actor` is the CLI's. */
export function localWebhookEndpointBackend(
  withService: <T>(run: (service: WebhookEndpointApi) => Promise<T>) => Promise<T>,
  actor: Actor,
): WebhookEndpointBackend {
  return {
    webhookEndpointList: () => withService((s) => s.list()),
    webhookEndpointShow: (id) => withService((s) => s.get(id)),
    webhookEndpointCreate: (input) => withService((s) => s.create(actor, input)),
    webhookEndpointUpdate: (id, input) => withService((s) => s.update(actor, id, input)),
    webhookEndpointDelete: (id, input) => withService((s) => s.remove(actor, id, input)),
    webhookEndpointRotateSecret: (id, input) => withService((s) => s.rotateSecret(actor, id, input)),
    webhookDeliveries: (query) => withService((s) => s.deliveries(query)),
    webhookResend: (id, eventId, input) => withService((s) => s.resend(actor, id, eventId, input)),
    webhookRecover: (id, input) => withService((s) => s.recover(actor, id, input)),
  };
}

/** The endpoints through the embedded server's API; `call` answers the body or throws the server's problem. */
export function serverWebhookEndpointBackend(
  call: <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>,
): WebhookEndpointBackend {
  const at = (id: string, action = '') => `/api/webhook-endpoints/${encodeURIComponent(id)}${action}`;
  return {
    webhookEndpointList: () => call('GET', '/api/webhook-endpoints'),
    webhookEndpointShow: (id) => call('GET', at(id)),
    webhookEndpointCreate: (input) => call('POST', '/api/webhook-endpoints', input),
    webhookEndpointUpdate: (id, input) => call('POST', at(id, '/update'), input),
    webhookEndpointDelete: (id, input) => call('POST', at(id, '/delete'), input),
    webhookEndpointRotateSecret: (id, input) => call('POST', at(id, '/rotate-secret'), input),
    webhookDeliveries: ({ endpointId, eventId, status, limit, cursor }) => {
      const q = new URLSearchParams();
      if (eventId) q.set('eventId', eventId);
      if (status) q.set('status', status);
      if (limit !== undefined) q.set('limit', String(limit));
      if (cursor) q.set('cursor', cursor);
      return call('GET', at(endpointId, `/deliveries${q.size > 0 ? `?${q.toString()}` : ''}`));
    },
    webhookResend: (id, eventId, input) =>
      call('POST', at(id, `/deliveries/${encodeURIComponent(eventId)}/resend`), input),
    webhookRecover: (id, input) => call('POST', at(id, '/recover'), input),
  };
}

/** The `webhook-endpoints` group with its commands; returned so that the program can require a subcommand. */
export function registerWebhookEndpoints(program: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): Command {
  const group = documented(
    program
      .command('webhook-endpoints')
      .description("the marketplace's outgoing webhook endpoints: register, change, rotate, delivery log, recover"),
    {
      examples: [
        'escrow webhook-endpoints create --url https://hooks.marketplace.example/escrow --reason "go-live"',
        'escrow webhook-endpoints list',
        'escrow webhook-endpoints deliveries <endpointId> --status FAILED',
      ],
    },
  );
  registerList(group, ctx, open);
  registerShow(group, ctx, open);
  registerCreate(group, ctx, open);
  registerUpdate(group, ctx, open);
  registerChanges(group, ctx, open);
  registerDeliveryCommands(group, ctx, open);
  return group;
}

function registerList(group: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): void {
  const cmd = group.command('list').description('the webhook endpoints, oldest first').addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow webhook-endpoints list', 'escrow webhook-endpoints list --json | jq .data'],
    output:
      'a table (id, state, events, URL, why disabled or failing, description); with --json {"data": [{"id", ' +
      '"url", "eventTypes", "enabled", "disabledReason", "failingSince", "secrets": [{"id", "expiresAt"}], ...}]}',
    notes: ["Secrets' values are never listed: only their ids and times."],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const list = await open(ctx.config(), (backend) => backend.webhookEndpointList());
      if (cmd.opts<{ json?: boolean }>().json) ctx.print(list);
      else ctx.io.out(listLines(list.data));
      return EXIT.ok;
    }),
  );
}

function registerShow(group: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): void {
  const cmd = group
    .command('show <endpointId>')
    .description('one webhook endpoint with its secrets (ids and times only)')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: ['escrow webhook-endpoints show <endpointId>'],
    output: 'its fields and a table of its signing secrets; with --json the endpoint as list shows it',
  });
  cmd.action(
    exitWith(ctx, async (id: string) => {
      checkEndpointId(cmd, id);
      const endpoint = await open(ctx.config(), (backend) => backend.webhookEndpointShow(id));
      if (cmd.opts<{ json?: boolean }>().json) ctx.print(endpoint);
      else ctx.io.out(showLines(endpoint));
      return EXIT.ok;
    }),
  );
}

function registerCreate(group: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): void {
  const cmd = group
    .command('create')
    .description('register a webhook endpoint; prints its signing secret, once (audited)')
    .requiredOption('--url <url>', 'https on a public address (http and private ones with WEBHOOKS_ALLOW_PRIVATE)')
    .option('--description <text>', 'for people: what receives these events')
    .option('--events <types>', 'the event types to receive, comma-separated (default: all)', parseEvents)
    .option('--disabled', 'register it disabled (no messages until enabled)')
    .addOption(reasonOption())
    .option('--dry-run', 'check it (the URL against the address policy too), store nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow webhook-endpoints create --url https://hooks.marketplace.example/escrow --events EscrowFundsHeld,EscrowReleased --reason "go-live"',
      'escrow webhook-endpoints create --url https://hooks.marketplace.example/all --reason "check" --dry-run',
    ],
    output: 'the endpoint and its signing secret; with --json {"endpoint": {...}, "dryRun", "secret"}',
    failure: 'refused (bad input; the URL refused by the address policy: WEBHOOK_URL_REFUSED says why)',
    notes: ['The secret (whsec_…) is shown only this once: store it where the receiver verifies signatures.'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{
        url: string;
        description?: string;
        events?: string[] | 'all';
        disabled?: boolean;
        reason: string;
        dryRun?: boolean;
        json?: boolean;
      }>();
      checkReason(cmd, o.reason);
      const input = {
        url: o.url,
        ...(o.description === undefined ? {} : { description: o.description }),
        ...eventTypesOf(o.events),
        ...(o.disabled ? { enabled: false } : {}),
        reason: o.reason,
        dryRun: o.dryRun ?? false,
      };
      const change = await open(ctx.config(), (backend) => backend.webhookEndpointCreate(input));
      const note = change.dryRun ? ['its signing secret is made, and shown once, when it is created'] : [];
      printChange(ctx, change, o.json, change.dryRun ? 'would create' : 'created', note);
      return EXIT.ok;
    }),
  );
}

function registerUpdate(group: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): void {
  const cmd = group
    .command('update <endpointId>')
    .description('change an endpoint: URL, description, event types, enabled (audited)')
    .option('--url <url>', 'a new URL (checked as on create)')
    .option('--description <text>', 'a new description')
    .option('--events <types>', 'the event types to receive, comma-separated, or all', parseEvents)
    .addOption(
      new Option('--enable', 'enable it (clears the failing streak; pending messages go)').conflicts('disable'),
    )
    .addOption(new Option('--disable', 'disable it (no new messages; pending ones wait)').conflicts('enable'))
    .addOption(reasonOption())
    .option('--dry-run', 'show the endpoint as it would be, change nothing')
    .addOption(jsonOutput());
  documented(cmd, {
    examples: [
      'escrow webhook-endpoints update <endpointId> --enable --reason "receiver fixed (INC-2310)"',
      'escrow webhook-endpoints update <endpointId> --events all --dry-run --reason "every event"',
    ],
    output: 'the endpoint as changed; with --json {"endpoint": {...}, "dryRun"}',
  });
  cmd.action(
    exitWith(ctx, async (id: string) => {
      const o = cmd.opts<{
        url?: string;
        description?: string;
        events?: string[] | 'all';
        enable?: boolean;
        disable?: boolean;
        reason: string;
        dryRun?: boolean;
        json?: boolean;
      }>();
      checkEndpointId(cmd, id);
      checkReason(cmd, o.reason);
      const input = {
        ...(o.url === undefined ? {} : { url: o.url }),
        ...(o.description === undefined ? {} : { description: o.description }),
        ...eventTypesOf(o.events),
        ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
      };
      if (Object.keys(input).length === 0)
        usageError(cmd, 'give --url, --description, --events, --enable or --disable');
      const request = { ...input, reason: o.reason, dryRun: o.dryRun ?? false };
      const change = await open(ctx.config(), (backend) => backend.webhookEndpointUpdate(id, request));
      printChange(ctx, change, o.json, change.dryRun ? 'would update to' : 'updated');
      return EXIT.ok;
    }),
  );
}

/** `delete` and `rotate-secret`. */
function registerChanges(group: Command, ctx: CliContext, open: OpenWebhookEndpointBackend): void {
  const del = group
    .command('delete <endpointId>')
    .description('delete an endpoint with its messages and attempt log (the audit log keeps who and why)')
    .addOption(reasonOption())
    .option('--dry-run', 'show the endpoint that would be deleted, change nothing')
    .addOption(jsonOutput());
  documented(del, {
    examples: ['escrow webhook-endpoints delete <endpointId> --reason "moved to the events topic" --dry-run'],
    output: 'the endpoint as it was; with --json {"endpoint": {...}, "dryRun"}',
  });
  del.action(
    exitWith(ctx, async (id: string) => {
      const o = del.opts<{ reason: string; dryRun?: boolean; json?: boolean }>();
      checkEndpointId(del, id);
      checkReason(del, o.reason);
      const input = { reason: o.reason, dryRun: o.dryRun ?? false };
      const change = await open(ctx.config(), (backend) => backend.webhookEndpointDelete(id, input));
      printChange(ctx, change, o.json, change.dryRun ? 'would delete' : 'deleted');
      return EXIT.ok;
    }),
  );
  const rotate = group
    .command('rotate-secret <endpointId>')
    .description('a new signing secret, printed once; the previous one signs alongside it for the overlap (audited)')
    .option('--overlap-hours <n>', 'how long the previous secret keeps signing (0-168)', parseOverlap, 24)
    .addOption(reasonOption())
    .option('--dry-run', 'show until when the current secret would sign, make no secret')
    .addOption(jsonOutput());
  documented(rotate, {
    examples: ['escrow webhook-endpoints rotate-secret <endpointId> --overlap-hours 24 --reason "quarterly rotation"'],
    output: 'the new secret and until when the previous one signs; with --json {"endpoint": {...}, "dryRun", "secret"}',
    notes: ['The new secret is shown only this once. Switch the receiver to it within the overlap.'],
  });
  rotate.action(
    exitWith(ctx, async (id: string) => {
      const o = rotate.opts<{ overlapHours: number; reason: string; dryRun?: boolean; json?: boolean }>();
      checkEndpointId(rotate, id);
      checkReason(rotate, o.reason);
      const input = { overlapHours: o.overlapHours, reason: o.reason, dryRun: o.dryRun ?? false };
      const change = await open(ctx.config(), (backend) => backend.webhookEndpointRotateSecret(id, input));
      const until = change.endpoint.secrets
        .map((s) => s.expiresAt)
        .filter((t): t is string => t !== null)
        .sort()
        .at(-1);
      const note = change.dryRun
        ? `the current secret would sign until ${until ?? '?'}`
        : until
          ? `the previous secret signs until ${until}`
          : 'the previous secret no longer signs';
      printChange(ctx, change, o.json, change.dryRun ? 'would rotate the secret of' : 'rotated the secret of', [note]);
      return EXIT.ok;
    }),
  );
}

/** --events: comma-separated types, or `all` (commander keeps no null: `eventTypesOf` makes it null, every type). */
function parseEvents(value: string): string[] | 'all' {
  if (value.trim() === 'all') return 'all';
  const types = value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (types.length === 0) throw new InvalidArgumentError('--events takes event types, comma-separated, or all');
  return types;
}

/** The service's eventTypes for a parsed --events: absent, every type (null), or these. */
const eventTypesOf = (events: string[] | 'all' | undefined) =>
  events === undefined ? {} : { eventTypes: events === 'all' ? null : events };

function parseOverlap(value: string): number {
  const hours = Number(value);
  if (!/^\d+$/.test(value) || hours > 168) throw new InvalidArgumentError('--overlap-hours takes 0 to 168');
  return hours;
}
