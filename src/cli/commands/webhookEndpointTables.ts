import type { WebhookEndpoint } from '../../app/ports/webhookEndpointStore.js';
import type { EndpointChange } from '../../app/webhookEndpointTypes.js';
import type { CliContext } from '../context.js';
import { table } from '../table.js';

// What `escrow webhook-endpoints` prints for a person (./webhookEndpoints.ts): an endpoint in a line, the list as a
// table, one endpoint with its secrets' ids and times, and a change with the secret it made (shown this once).

const SECRET_WARNING =
  'this secret is shown only once and cannot be shown again: store it where the receiver verifies signatures';

/** A change for a person (or as JSON), with the secret and its warning when the change made one. */
export function printChange(
  ctx: CliContext,
  change: EndpointChange,
  json: boolean | undefined,
  what: string,
  notes: readonly string[] = [],
): void {
  if (json) {
    ctx.print(change);
    if (change.secret) ctx.io.err(`${SECRET_WARNING}\n`);
    return;
  }
  const lines = [`${change.dryRun ? 'dry run, nothing changed: ' : ''}${what} ${describeEndpoint(change.endpoint)}`];
  lines.push(...notes);
  if (change.secret) lines.push(`signing secret: ${change.secret}`, SECRET_WARNING);
  ctx.io.out(`${lines.join('\n')}\n`);
}

const eventsOf = (e: WebhookEndpoint): string => (e.eventTypes ? e.eventTypes.join(',') : 'all');

/** One endpoint for a person: `<id> <url> (events: all; enabled)`. */
export function describeEndpoint(e: WebhookEndpoint): string {
  const state = e.enabled ? 'enabled' : `disabled: ${e.disabledReason ?? '?'}`;
  return `webhook endpoint ${e.id} ${e.url} (events: ${eventsOf(e)}; ${state})`;
}

/** What `list` prints for a person. */
export function listLines(endpoints: readonly WebhookEndpoint[]): string {
  if (endpoints.length === 0) return 'no webhook endpoints (escrow webhook-endpoints create --url …)\n';
  const rows = endpoints.map((e) => [
    e.id,
    e.enabled ? 'ENABLED' : 'DISABLED',
    eventsOf(e),
    e.url,
    e.disabledReason ?? (e.failingSince ? `failing since ${e.failingSince}` : e.description),
  ]);
  return `${[...table(['ID', 'STATE', 'EVENTS', 'URL', 'NOTE'], rows), `${endpoints.length} listed`].join('\n')}\n`;
}

/** What `show` prints for a person. */
export function showLines(e: WebhookEndpoint): string {
  const fields: [string, string][] = [
    ['id', e.id],
    ['url', e.url],
    ['description', e.description],
    ['events', eventsOf(e)],
    ['state', e.enabled ? 'enabled' : `disabled ${e.disabledAt ?? ''}: ${e.disabledReason ?? '?'}`],
    ['failing since', e.failingSince ?? '-'],
    ['created', `${e.createdAt} by ${e.createdBy}`],
    ['updated', e.updatedAt],
  ];
  const secrets = e.secrets.map((s) => [s.id, s.createdAt, s.expiresAt ?? 'current']);
  return `${[
    ...fields.map(([k, v]) => `${k.padEnd(13)} ${v}`.trimEnd()),
    'signing secrets (values are shown only when made):',
    ...table(['SECRET', 'CREATED', 'SIGNS UNTIL'], secrets).map((l) => `  ${l}`),
  ].join('\n')}\n`;
}
