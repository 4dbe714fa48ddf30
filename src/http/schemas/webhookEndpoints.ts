import { Type } from 'typebox';
import { EVENT_TYPES, TEXT_MAX_LENGTH } from '../../domain/index.js';
import { Nullable, Uuid, saying } from './common.js';

// Outgoing webhooks' endpoints (issue 14): /api/webhook-endpoints and its actions, for `service` and `admin`
// callers (the delivery log, resend and recover: ./webhookDeliveries.ts). The service judges each value again (the URL against the address policy, the overlap's range, the recover
// window) and says what is wrong; these bound the sizes and document the shapes. A secret's value appears only in the
// create and rotate-secret answers (EndpointSecretChangeView): every other view has no field for it, so the
// serializer could not send one.

export const AT = '2026-12-03T10:00:00.000Z';
export const ENDPOINT_ID = '0190f0c8-0000-7000-8000-0000000000f1';
const HOOK_URL = 'https://hooks.marketplace.example/escrow';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5gBUhqSDOEo=';

export const Reason = Type.String({
  minLength: 1,
  maxLength: TEXT_MAX_LENGTH.reason,
  description: 'why (kept in the audit log)',
  ...saying(`must be 1-${TEXT_MAX_LENGTH.reason} characters saying why`),
});
export const DryRun = (description: string) => Type.Optional(Type.Boolean({ description }));

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'where the events are POSTed: https on a public address (plain http and private, loopback or link-local ' +
    'addresses only with WEBHOOKS_ALLOW_PRIVATE=true); checked on what the host resolves to now, and again at ' +
    'every delivery (422 WEBHOOK_URL_REFUSED says why not)',
  ...saying('must be an https URL of at most 2048 characters'),
});
const Description = Type.String({
  maxLength: 500,
  description: 'for people: what receives these events',
  ...saying('must be text of at most 500 characters'),
});
const EventType = Type.Union(
  EVENT_TYPES.map((t) => Type.Literal(t)),
  { description: 'an event type as the events topic names it' },
);
// one wording on the union and both branches: the problem says it once (src/http/problem.ts merges equal lines)
const EVENT_TYPES_RULE = saying('must be a non-empty list of event types, or null for every type');
const EventTypes = Type.Union(
  [Type.Array(EventType, { minItems: 1, maxItems: 100, ...EVENT_TYPES_RULE }), Type.Null(EVENT_TYPES_RULE)],
  { description: 'the event types to receive; null or absent: every type (new ones included)', ...EVENT_TYPES_RULE },
);
const Enabled = Type.Boolean({
  description:
    'false: no new messages (pending ones wait); true again: the failing streak is cleared and what it missed is queued',
});

export const EndpointParams = Type.Object({ endpointId: Uuid }, { additionalProperties: false });

export const EndpointCreateBody = Type.Object(
  {
    url: Url,
    description: Type.Optional(Description),
    eventTypes: Type.Optional(EventTypes),
    enabled: Type.Optional(Enabled),
    reason: Type.Optional(Reason),
    dryRun: DryRun('validate (the URL against the address policy too), store nothing, make no secret'),
  },
  {
    additionalProperties: false,
    examples: [
      // The address, not a host name, so that the example is accepted without DNS (the documentation's own check).
      {
        url: 'https://93.184.215.14/hooks/escrow',
        description: 'order service',
        eventTypes: ['EscrowFundsHeld', 'EscrowReleased'],
        reason: 'marketplace go-live (CHG-1042)',
      },
      { url: 'https://93.184.215.14/hooks/all', reason: 'every event, checked first', dryRun: true },
    ],
  },
);

export const EndpointUpdateBody = Type.Object(
  {
    url: Type.Optional(Url),
    description: Type.Optional(Description),
    eventTypes: Type.Optional(EventTypes),
    enabled: Type.Optional(Enabled),
    reason: Type.Optional(Reason),
    dryRun: DryRun('show the endpoint as it would be, change nothing'),
  },
  {
    additionalProperties: false,
    description: 'at least one of url, description, eventTypes and enabled',
    examples: [
      { enabled: false, reason: 'receiver being migrated (CHG-1077)' },
      { eventTypes: null, description: 'order service, every event', dryRun: true },
    ],
  },
);

export const EndpointDeleteBody = Type.Object(
  { reason: Type.Optional(Reason), dryRun: DryRun('show the endpoint that would be deleted, change nothing') },
  { additionalProperties: false, examples: [{ reason: 'marketplace moved to the events topic' }] },
);

export const RotateSecretBody = Type.Object(
  {
    overlapHours: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 168,
        description: 'how long the previous secret keeps signing alongside the new one: 0-168 hours (default 24)',
        ...saying('must be a whole number of hours, 0-168 (default 24)'),
      }),
    ),
    reason: Type.Optional(Reason),
    dryRun: DryRun('show until when the current secret would sign, make no secret'),
  },
  {
    additionalProperties: false,
    examples: [
      { overlapHours: 24, reason: 'quarterly rotation' },
      { overlapHours: 0, reason: 'secret leaked in a ticket (INC-2301)', dryRun: true },
    ],
  },
);

const SecretInfo = Type.Object({
  id: Uuid,
  createdAt: Type.String(),
  expiresAt: Nullable(Type.String({ description: 'when a rotated-out secret stops signing; null: the current one' })),
});

const EndpointView = Type.Object({
  id: Uuid,
  url: Type.String(),
  description: Type.String(),
  eventTypes: Nullable(Type.Array(Type.String())),
  enabled: Type.Boolean(),
  disabledReason: Nullable(
    Type.String({ description: '"disabled by <actor>: <reason>", "410 Gone from the receiver", "failing for 5 days"' }),
  ),
  disabledAt: Nullable(Type.String()),
  failingSince: Nullable(Type.String({ description: 'since when every attempt has failed' })),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  secrets: Type.Array(SecretInfo, { description: 'the signing secrets: ids and times, never their values' }),
});

const ENDPOINT = {
  id: ENDPOINT_ID,
  url: HOOK_URL,
  description: 'order service',
  eventTypes: ['EscrowFundsHeld', 'EscrowReleased'],
  enabled: true,
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  createdBy: 'marketplace-api',
  createdAt: AT,
  updatedAt: AT,
  secrets: [{ id: '0190f0c8-0000-7000-8000-0000000000f2', createdAt: AT, expiresAt: null }],
};
const DISABLED = {
  ...ENDPOINT,
  id: '0190f0c8-0000-7000-8000-0000000000f3',
  url: 'https://erp.marketplace.example/escrow-events',
  description: 'ERP export',
  eventTypes: null,
  enabled: false,
  disabledReason: '410 Gone from the receiver',
  disabledAt: '2026-12-03T11:00:00.000Z',
  secrets: [{ id: '0190f0c8-0000-7000-8000-0000000000f4', createdAt: AT, expiresAt: null }],
};
const ROTATED = {
  ...ENDPOINT,
  updatedAt: '2026-12-04T09:00:00.000Z',
  secrets: [
    { id: '0190f0c8-0000-7000-8000-0000000000f5', createdAt: '2026-12-04T09:00:00.000Z', expiresAt: null },
    { id: '0190f0c8-0000-7000-8000-0000000000f2', createdAt: AT, expiresAt: '2026-12-05T09:00:00.000Z' },
  ],
};

export const ChangeDryRun = Type.Boolean({
  description: 'true: what the change would be; nothing was stored or audited',
});

/** Update and delete: the endpoint, never a secret. */
export const EndpointChangeView = Type.Object(
  { endpoint: EndpointView, dryRun: ChangeDryRun },
  {
    examples: [
      { endpoint: DISABLED, dryRun: false },
      { endpoint: ENDPOINT, dryRun: true },
    ],
  },
);

/** Create and rotate-secret: the new secret, this once. */
export const EndpointSecretChangeView = Type.Object(
  {
    endpoint: EndpointView,
    dryRun: ChangeDryRun,
    secret: Type.Optional(
      Type.String({
        description:
          'the new signing secret (whsec_ and base64): shown this once, never listed or shown again; absent on a ' +
          'dry run',
      }),
    ),
  },
  {
    examples: [
      { endpoint: ENDPOINT, dryRun: false, secret: SECRET },
      { endpoint: ROTATED, dryRun: false, secret: 'whsec_3yOFcGWwrjBfbNuuUmgz0m8ITPQ1WrJ6yLSv2qY+Qh0=' },
      { endpoint: { ...ENDPOINT, secrets: [] }, dryRun: true },
    ],
  },
);

/** One endpoint (GET /api/webhook-endpoints/{endpointId}). */
export const EndpointOneView = Type.Object(EndpointView.properties, { examples: [ENDPOINT] });

export const EndpointListView = Type.Object(
  { data: Type.Array(EndpointView) },
  { examples: [{ data: [ENDPOINT, DISABLED] }] },
);
