import { Type } from 'typebox';
import { Nullable, Uuid, saying } from './common.js';
import { AT, ChangeDryRun, DryRun, ENDPOINT_ID, Reason } from './webhookEndpoints.js';

// An outgoing webhook endpoint's delivery log, resend and recover (issue 14 §3): GET
// /api/webhook-endpoints/{endpointId}/deliveries, POST …/deliveries/{eventId}/resend, POST …/recover. Message and
// attempt ids are the database's sequence numbers (digit strings); event, escrow and endpoint ids are UUIDs.

const EVENT_ID = '0190f0c8-0000-7000-8000-0000000000e1';
const ESCROW_ID = '0190f0c8-0000-7000-8000-00000000000a';

const IsoAt = (description: string) =>
  Type.String({
    format: 'date-time',
    description,
    examples: ['2026-12-02T08:00:00.000Z'],
    ...saying('must be an ISO 8601 date-time, e.g. 2026-12-02T08:00:00Z'),
  });

export const DeliveryParams = Type.Object({ endpointId: Uuid, eventId: Uuid }, { additionalProperties: false });

const Status = Type.Union([Type.Literal('PENDING'), Type.Literal('DELIVERED'), Type.Literal('FAILED')], {
  description: 'PENDING: being delivered (or waiting for a retry); DELIVERED: a 2xx came; FAILED: given up',
});

export const DeliveriesQuery = Type.Object(
  {
    eventId: Type.Optional(Uuid),
    status: Type.Optional(Status),
    // the range (1-200, default 50) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['50'], ...saying('must be 1-200') })),
    cursor: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,18}$',
        description: 'nextCursor of the previous page',
        ...saying('must be the nextCursor of a previous page'),
      }),
    ),
  },
  { additionalProperties: false },
);

export const ResendBody = Type.Object(
  { reason: Type.Optional(Reason), dryRun: DryRun('show the message it would queue, change nothing') },
  { additionalProperties: false, examples: [{ reason: 'receiver lost it (SUPPORT-881)' }, { dryRun: true }] },
);

export const RecoverBody = Type.Object(
  {
    since: IsoAt('events that occurred at or after this time'),
    until: Type.Optional(IsoAt('events that occurred before this time (default now; at most 31 days after since)')),
    includeDelivered: Type.Optional(
      Type.Boolean({ description: 'delivered messages too (default: failed ones and events the endpoint never got)' }),
    ),
    reason: Type.Optional(Reason),
    dryRun: DryRun('count and list what it would queue, change nothing'),
  },
  {
    additionalProperties: false,
    examples: [
      { since: '2026-12-02T08:00:00Z', until: '2026-12-02T11:30:00Z', reason: 'receiver outage INC-2310' },
      { since: '2026-12-01T00:00:00Z', includeDelivered: true, reason: 'receiver lost its database', dryRun: true },
    ],
  },
);

const Attempt = Type.Object({
  id: Type.String(),
  messageId: Type.String(),
  eventId: Type.String(),
  attempt: Type.Integer({ description: '1 for the first; a resend continues the count' }),
  at: Type.String(),
  status: Nullable(Type.Integer({ description: 'the HTTP status; null when no answer came' })),
  latencyMs: Type.Integer(),
  responseExcerpt: Nullable(Type.String({ description: 'the start of the answer (at most 1 KiB)' })),
  error: Nullable(Type.String()),
  outcome: Type.Union([Type.Literal('DELIVERED'), Type.Literal('RETRYING'), Type.Literal('FAILED')]),
});

const MessageFields = {
  id: Type.String({ description: "the message's id (the cursor pages by it)" }),
  endpointId: Uuid,
  eventId: Type.String({ description: 'the event id: the webhook-id header, the same on every attempt and resend' }),
  eventType: Type.String(),
  escrowId: Type.String(),
  sequence: Type.Integer({ description: "the event's place in its escrow's history" }),
  status: Status,
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  lastError: Nullable(Type.String()),
};
const Message = Type.Object(MessageFields);
const Delivery = Type.Object({
  ...MessageFields,
  attemptLog: Type.Array(Attempt, { description: 'every attempt, newest first' }),
});

const MESSAGE = {
  id: '4211',
  endpointId: ENDPOINT_ID,
  eventId: EVENT_ID,
  eventType: 'EscrowFundsHeld',
  escrowId: ESCROW_ID,
  sequence: 2,
  status: 'DELIVERED',
  attempts: 2,
  nextAttemptAt: null,
  createdAt: AT,
  deliveredAt: '2026-12-03T10:00:05.130Z',
  lastError: null,
};
const ATTEMPT = {
  id: '9034',
  messageId: '4211',
  eventId: EVENT_ID,
  attempt: 2,
  at: '2026-12-03T10:00:05.100Z',
  status: 200,
  latencyMs: 30,
  responseExcerpt: 'ok',
  error: null,
  outcome: 'DELIVERED',
};
const FIRST_ATTEMPT = {
  ...ATTEMPT,
  id: '9001',
  attempt: 1,
  at: '2026-12-03T10:00:00.080Z',
  status: 503,
  latencyMs: 12,
  responseExcerpt: 'upstream unavailable',
  outcome: 'RETRYING',
};

export const DeliveryPageView = Type.Object(
  { data: Type.Array(Delivery), nextCursor: Nullable(Type.String()) },
  { examples: [{ data: [{ ...MESSAGE, attemptLog: [ATTEMPT, FIRST_ATTEMPT] }], nextCursor: null }] },
);

export const ResendResultView = Type.Object(
  {
    endpointId: Uuid,
    queued: Type.Integer({ description: 'how many messages were (or, on a dry run, would be) queued' }),
    dryRun: ChangeDryRun,
    messages: Type.Array(Message, { description: 'the messages queued (at most the first 100 of a recover)' }),
  },
  {
    examples: [
      {
        endpointId: ENDPOINT_ID,
        queued: 1,
        dryRun: false,
        messages: [{ ...MESSAGE, status: 'PENDING', nextAttemptAt: '2026-12-04T09:00:00.000Z', deliveredAt: null }],
      },
    ],
  },
);
