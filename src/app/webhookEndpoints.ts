import { randomBytes } from 'node:crypto';
import { DomainError, EVENT_TYPES, invalid, isStorableText, type Actor } from '../domain/index.js';
import { ISO_DATE_TIME as ISO, TEXT_MAX_LENGTH, UNSTORABLE_TEXT_RULE } from '../domain/limits.js';
import { isUuid, newId } from './ids.js';
import type { Clock } from './ports/clock.js';
import type {
  AuditNote,
  DeliveryStatus,
  EndpointPatch,
  WebhookEndpoint,
  WebhookEndpointStore,
} from './ports/webhookEndpointStore.js';
import type { WebhookUrlGuard } from './ports/webhookSender.js';
import type {
  DeliveriesQuery,
  DeliveryPage,
  EndpointChange,
  EndpointCreateInput,
  EndpointUpdateInput,
  RecoverInput,
  ResendResult,
  RotateSecretInput,
  WebhookEndpointApi,
} from './webhookEndpointTypes.js';

/** Signing secrets: whsec_ and the base64 of 32 random bytes (Standard Webhooks asks for 24 to 64). */
export const SECRET_BYTES = 32;
export const newSigningSecret = (): string => `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;

export const DELIVERY_PAGE_SIZE = { default: 50, max: 200 } as const;
const URL_MAX = 2048;
const DESCRIPTION_MAX = 500;
const OVERLAP_HOURS = { default: 24, max: 168 } as const;
/** The widest recover window: a longer one is several recovers (each audited), not one accidental flood. */
const RECOVER_MAX_DAYS = 31;
const STATUSES: readonly DeliveryStatus[] = ['PENDING', 'DELIVERED', 'FAILED'];

/**
 * The marketplace's webhook endpoints (issue 14): registered by `service` or `admin` callers, each with its own
 * signing secret (shown once; a rotation keeps the previous one signing for an overlap), its delivery log, and
 * resend / recover. Every change is audited with who and why; a dry run validates and stores nothing.
 */
export class WebhookEndpointService implements WebhookEndpointApi {
  constructor(
    private readonly deps: {
      store: WebhookEndpointStore;
      guard: WebhookUrlGuard;
      clock: Clock;
      newId?: () => string;
      newSecret?: () => string;
    },
  ) {}

  async create(actor: Actor, input: EndpointCreateInput): Promise<EndpointChange> {
    const at = this.now();
    const fields = {
      url: await this.urlOf(input.url),
      description: descriptionOf(input.description ?? ''),
      eventTypes: eventTypesOf(input.eventTypes ?? null),
      enabled: enabledOf(input.enabled ?? true),
    };
    const reason = reasonOf(input.reason);
    const id = this.id();
    const preview: WebhookEndpoint = {
      id,
      ...fields,
      disabledReason: fields.enabled ? null : disabledBy(actor, reason),
      disabledAt: fields.enabled ? null : at,
      failingSince: null,
      createdBy: actor.id,
      createdAt: at,
      updatedAt: at,
      secrets: [],
    };
    if (input.dryRun) return { endpoint: preview, dryRun: true };
    const secret = { id: this.id(), value: (this.deps.newSecret ?? newSigningSecret)() };
    const audit = note(actor, 'WEBHOOK_ENDPOINT_CREATED', at, { endpointId: id, ...fields, reason });
    const endpoint = await this.deps.store.create(
      { id, ...fields, disabledReason: preview.disabledReason, secret, at },
      audit,
    );
    return { endpoint, dryRun: false, secret: secret.value };
  }

  async list(): Promise<{ data: WebhookEndpoint[] }> {
    return { data: await this.deps.store.list() };
  }

  async get(id: string): Promise<WebhookEndpoint> {
    if (!isUuid(id))
      throw invalid('endpointId', 'must be a webhook endpoint id (a UUID; escrow webhook-endpoints list)');
    const endpoint = await this.deps.store.get(id);
    if (!endpoint) throw endpointNotFound(id);
    return endpoint;
  }

  async update(actor: Actor, id: string, input: EndpointUpdateInput): Promise<EndpointChange> {
    const current = await this.get(id);
    const reason = reasonOf(input.reason);
    const patch: EndpointPatch = {};
    if (input.url !== undefined) patch.url = await this.urlOf(input.url);
    if (input.description !== undefined) patch.description = descriptionOf(input.description);
    if (input.eventTypes !== undefined) patch.eventTypes = eventTypesOf(input.eventTypes);
    if (input.enabled !== undefined) {
      patch.enabled = enabledOf(input.enabled);
      if (!input.enabled) patch.disabledReason = disabledBy(actor, reason);
    }
    if (Object.keys(patch).length === 0) {
      throw invalid('body', 'names nothing to change (url, description, eventTypes or enabled)');
    }
    const at = this.now();
    if (input.dryRun) return { endpoint: preview(current, patch, at), dryRun: true };
    const action =
      input.enabled === true
        ? 'WEBHOOK_ENDPOINT_ENABLED'
        : input.enabled === false
          ? 'WEBHOOK_ENDPOINT_DISABLED'
          : 'WEBHOOK_ENDPOINT_UPDATED';
    const endpoint = await this.deps.store.update(
      id,
      patch,
      note(actor, action, at, { endpointId: id, ...patch, reason }),
    );
    if (!endpoint) throw endpointNotFound(id);
    return { endpoint, dryRun: false };
  }

  async remove(actor: Actor, id: string, input: { reason?: string; dryRun?: boolean }): Promise<EndpointChange> {
    const current = await this.get(id);
    const reason = reasonOf(input.reason);
    if (input.dryRun) return { endpoint: current, dryRun: true };
    const audit = note(actor, 'WEBHOOK_ENDPOINT_DELETED', this.now(), { endpointId: id, url: current.url, reason });
    const endpoint = await this.deps.store.remove(id, audit);
    if (!endpoint) throw endpointNotFound(id);
    return { endpoint, dryRun: false };
  }

  async rotateSecret(actor: Actor, id: string, input: RotateSecretInput): Promise<EndpointChange> {
    const current = await this.get(id);
    const hours = input.overlapHours ?? OVERLAP_HOURS.default;
    if (!Number.isInteger(hours) || hours < 0 || hours > OVERLAP_HOURS.max) {
      throw invalid(
        'overlapHours',
        `must be a whole number of hours, 0-${OVERLAP_HOURS.max} (default ${OVERLAP_HOURS.default})`,
      );
    }
    const reason = reasonOf(input.reason);
    const now = this.deps.clock.now();
    const previousUntil = new Date(now.getTime() + hours * 3_600_000).toISOString();
    if (input.dryRun) {
      const secrets = current.secrets.map((s) => ({
        ...s,
        expiresAt: s.expiresAt && s.expiresAt < previousUntil ? s.expiresAt : previousUntil,
      }));
      return { endpoint: { ...current, secrets }, dryRun: true };
    }
    const secret = { id: this.id(), value: (this.deps.newSecret ?? newSigningSecret)() };
    const audit = note(actor, 'WEBHOOK_SECRET_ROTATED', now.toISOString(), { endpointId: id, previousUntil, reason });
    const endpoint = await this.deps.store.rotateSecret(id, secret, hours * 3_600_000, audit);
    if (!endpoint) throw endpointNotFound(id);
    return { endpoint, dryRun: false, secret: secret.value };
  }

  async deliveries(q: DeliveriesQuery): Promise<DeliveryPage> {
    await this.get(q.endpointId);
    const limit = q.limit ?? DELIVERY_PAGE_SIZE.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > DELIVERY_PAGE_SIZE.max) {
      throw invalid('limit', `must be 1-${DELIVERY_PAGE_SIZE.max}`);
    }
    if (q.eventId !== undefined && !isUuid(q.eventId)) throw invalid('eventId', 'must be an event id (a UUID)');
    if (q.status !== undefined && !STATUSES.includes(q.status))
      throw invalid('status', `must be one of ${STATUSES.join(', ')}`);
    if (q.cursor && !(/^[1-9]\d{0,18}$/.test(q.cursor) && BigInt(q.cursor) < 2n ** 63n))
      throw invalid('cursor', 'must be the nextCursor of a previous page');
    const data = await this.deps.store.messages({
      endpointId: q.endpointId,
      limit: limit + 1,
      ...(q.eventId ? { eventId: q.eventId } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.cursor ? { beforeId: q.cursor } : {}),
    });
    const page = data.slice(0, limit);
    return { data: page, nextCursor: data.length > limit ? page.at(-1)!.id : null };
  }

  async resend(
    actor: Actor,
    endpointId: string,
    eventId: string,
    input: { reason?: string; dryRun?: boolean },
  ): Promise<ResendResult> {
    await this.get(endpointId);
    if (!isUuid(eventId)) throw invalid('eventId', 'must be an event id (a UUID; the webhook-id header)');
    const reason = reasonOf(input.reason);
    const [message] = await this.deps.store.messages({ endpointId, eventId, limit: 1 });
    if (!message) {
      throw new DomainError(
        'WEBHOOK_MESSAGE_NOT_FOUND',
        `endpoint ${endpointId} has no message for event ${eventId} (recover --since sends events it never got)`,
      );
    }
    if (message.status === 'PENDING') {
      throw new DomainError(
        'WEBHOOK_MESSAGE_PENDING',
        `the message for event ${eventId} is still being delivered (attempt ${message.attempts + 1} is due at ${message.nextAttemptAt}): nothing to resend`,
      );
    }
    const audit = note(actor, 'WEBHOOK_MESSAGE_RESENT', this.now(), { endpointId, eventId, reason });
    const done = await this.deps.store.requeue(
      endpointId,
      { eventIds: [eventId] },
      { dryRun: input.dryRun ?? false, audit },
    );
    return { endpointId, dryRun: input.dryRun ?? false, ...done };
  }

  async recover(actor: Actor, endpointId: string, input: RecoverInput): Promise<ResendResult> {
    await this.get(endpointId);
    const now = this.deps.clock.now();
    const since = timeOf(input.since, 'since');
    const until = input.until === undefined ? now.toISOString() : timeOf(input.until, 'until');
    if (since >= until) throw invalid('until', `must be after since (${since})`);
    if (Date.parse(until) - Date.parse(since) > RECOVER_MAX_DAYS * 86_400_000) {
      throw invalid(
        'until',
        `the window is at most ${RECOVER_MAX_DAYS} days: recover a longer time in several windows`,
      );
    }
    const reason = reasonOf(input.reason);
    const includeDelivered = input.includeDelivered ?? false;
    const dryRun = input.dryRun ?? false;
    const audit = note(actor, 'WEBHOOK_MESSAGES_RECOVERED', now.toISOString(), {
      endpointId,
      since,
      until,
      includeDelivered,
      reason,
    });
    const done = await this.deps.store.requeue(endpointId, { since, until, includeDelivered }, { dryRun, audit });
    return { endpointId, dryRun, ...done };
  }

  private async urlOf(url: unknown): Promise<string> {
    if (typeof url !== 'string' || url.length === 0 || url.length > URL_MAX) {
      throw invalid('url', `must be an https URL of at most ${URL_MAX} characters`);
    }
    if (!URL.canParse(url))
      throw invalid('url', 'must be an absolute URL, e.g. https://marketplace.example/hooks/escrow');
    const refusal = await this.deps.guard.refusal(url);
    if (refusal)
      throw new DomainError('WEBHOOK_URL_REFUSED', refusal, { errors: [{ field: 'url', message: refusal }] });
    return new URL(url).href;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  private id(): string {
    return (this.deps.newId ?? newId)();
  }
}

const note = (actor: Actor, action: string, at: string, details: Record<string, unknown>): AuditNote => ({
  actor: { id: actor.id, role: actor.role },
  action,
  at,
  details,
});

const disabledBy = (actor: Actor, reason: string | null): string =>
  `disabled by ${actor.id}${reason ? `: ${reason}` : ''}`;

function preview(current: WebhookEndpoint, p: EndpointPatch, at: string): WebhookEndpoint {
  const enabled = p.enabled ?? current.enabled;
  return {
    ...current,
    ...(p.url !== undefined ? { url: p.url } : {}),
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.eventTypes !== undefined ? { eventTypes: p.eventTypes } : {}),
    enabled,
    disabledReason: p.enabled === true ? null : (p.disabledReason ?? current.disabledReason),
    disabledAt: p.enabled === true ? null : p.enabled === false ? at : current.disabledAt,
    failingSince: p.enabled === true ? null : current.failingSince,
    updatedAt: at,
  };
}

function endpointNotFound(id: string): DomainError {
  return new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${id} (escrow webhook-endpoints list)`);
}

function descriptionOf(text: unknown): string {
  const trimmed = typeof text === 'string' ? text.trim() : null;
  if (trimmed === null || trimmed.length > DESCRIPTION_MAX)
    throw invalid('description', `must be text of at most ${DESCRIPTION_MAX} characters`);
  if (!isStorableText(trimmed)) throw invalid('description', UNSTORABLE_TEXT_RULE);
  return trimmed;
}

function enabledOf(value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid('enabled', 'must be true or false');
  return value;
}

function reasonOf(text: unknown): string | null {
  if (text === undefined || text === null) return null;
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max)
    throw invalid('reason', `must be 1-${max} characters saying why (kept in the audit log)`);
  if (!isStorableText(trimmed)) throw invalid('reason', UNSTORABLE_TEXT_RULE);
  return trimmed;
}

function eventTypesOf(types: unknown): string[] | null {
  if (types === null) return null;
  const known = EVENT_TYPES as readonly string[];
  if (!Array.isArray(types) || types.length === 0) {
    throw invalid('eventTypes', 'must be a non-empty list of event types, or null for every type');
  }
  const unknown = types.filter((t) => typeof t !== 'string' || !known.includes(t));
  if (unknown.length > 0) {
    throw invalid('eventTypes', `unknown event type(s) ${unknown.map(String).join(', ')}; known: ${known.join(', ')}`);
  }
  return [...new Set(types as string[])].sort();
}

function timeOf(value: unknown, field: string): string {
  const ms = typeof value === 'string' && ISO.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw invalid(field, 'must be an ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z');
  return new Date(ms).toISOString();
}
