import { Type, type TLiteral } from 'typebox';
import { OPERATOR_LIST } from '../../app/operatorViews.js';
import { STUCK_REASONS, type StuckReason } from '../../app/ports/operatorQueries.js';
import { Nullable, saying } from './common.js';

// The operator's views and repairs (SPEC §8): GET /api/admin/escrows/stuck, /escrows/{id}/timeline,
// POST /escrows/{id}/rebuild, GET /settlements, POST /settlements/{settlementId}/retry, /settlements/retry-failed,
// GET /queues/stats — and the `escrow stuck|show|rebuild|settlements|queues` commands going through them.

const ID = '0190f0c8-0000-7000-8000-00000000000a';
const SETTLEMENT = '0190f0c8-0000-7000-8000-0000000000e1';
const AT = '2026-11-30T10:00:00.000Z';
const anyJson = (description: string) => Type.Unknown({ description });
const limitParam = Type.String({
  pattern: '^[0-9]{1,3}$',
  examples: [String(OPERATOR_LIST.default)],
  description: `at most this many, 1-${OPERATOR_LIST.max} (default ${OPERATOR_LIST.default})`,
  ...saying(`must be 1-${OPERATOR_LIST.max}`),
});
const Reason = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'why (kept in the audit row)',
  ...saying('must be 1-500 characters saying why'),
});

export const StuckQuery = Type.Object(
  {
    olderThanHours: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,6}(\\.[0-9]{1,3})?$', examples: ['24'], ...saying('must be hours, e.g. 24') }),
    ),
    minAmount: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,18}$', examples: ['100000'], ...saying('must be minor units (digits)') }),
    ),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3,5}$', examples: ['USD'], ...saying('e.g. USD') })),
    highValue: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: "true: only seed 001's high-value stuck (FUNDS_HELD, created more than 7 days ago)",
      }),
    ),
    limit: Type.Optional(limitParam),
  },
  { additionalProperties: false },
);

const StuckEscrowView = Type.Object({
  escrowId: Type.String(),
  status: Type.String(),
  rail: Type.String(),
  currency: Type.String(),
  amount: Type.String({ description: 'minor units, digits' }),
  createdAt: Type.String(),
  reasons: Type.Array(Type.Union(STUCK_REASONS.map((r) => Type.Literal(r)) as unknown as [TLiteral<StuckReason>]), {
    description: STUCK_REASONS.join(', '),
  }),
  since: Type.String({ description: 'when the oldest reason began (the deadline, the settlement created or failed)' }),
  ageSeconds: Type.Integer(),
  highValue: Type.Boolean({ description: "seed 001's high-value stuck: FUNDS_HELD, created more than 7 days ago" }),
});

export const StuckView = Type.Object(
  { checkedAt: Type.String(), data: Type.Array(StuckEscrowView, { description: 'oldest first, then the largest' }) },
  {
    examples: [
      {
        checkedAt: AT,
        data: [
          {
            ...{ escrowId: ID, status: 'FUNDS_HELD', rail: 'STRIPE', currency: 'USD', amount: '250000' },
            ...{ createdAt: '2026-11-20T10:00:00.000Z', reasons: ['HELD_OVER_7_DAYS'] },
            ...{ since: '2026-11-20T10:00:00.000Z', ageSeconds: 864000, highValue: true },
          },
        ],
      },
    ],
  },
);

export const EscrowIdParams = Type.Object(
  { id: Type.String({ examples: [ID], description: 'the escrow id' }) },
  { additionalProperties: false },
);

const SettlementView = Type.Object({
  ...{ settlementId: Type.String(), escrowId: Type.String(), rail: Type.String(), kind: Type.String() },
  ...{ amount: Type.String(), currency: Type.String(), status: Type.String() },
  ...{ attempts: Type.Integer(), failures: Type.Integer(), round: Type.Integer() },
  ...{ waitingFor: Nullable(Type.String()), lastError: Nullable(Type.String()) },
  ...{ failureReason: Nullable(Type.String()), createdAt: Type.String(), completedAt: Nullable(Type.String()) },
  ageSeconds: Type.Integer(),
});
const FAILED_SETTLEMENT = {
  ...{ settlementId: SETTLEMENT, escrowId: ID, rail: 'STRIPE', kind: 'PAYOUT', amount: '250000', currency: 'USD' },
  ...{ status: 'FAILED', attempts: 5, failures: 5, round: 0, waitingFor: null, lastError: 'account closed' },
  ...{ failureReason: 'account closed', createdAt: AT, completedAt: AT, ageSeconds: 3600 },
};

export const TimelineView = Type.Object(
  {
    escrow: Type.Record(Type.String(), Type.Unknown(), { description: 'the escrow as stored (amounts as digits)' }),
    events: Type.Array(
      Type.Object({
        ...{ sequence: Type.Integer(), type: Type.String(), at: Type.String() },
        ...{ actor: Type.Object({ id: Type.String(), role: Type.String() }), eventId: Type.String() },
      }),
    ),
    ledger: Type.Array(
      Type.Object({
        ...{ transactionId: Type.String(), account: Type.String(), amount: Type.String() },
        ...{ currency: Type.String(), at: Type.String() },
      }),
    ),
    settlements: Type.Array(SettlementView),
    webhooks: Type.Array(
      Type.Object({
        ...{ provider: Type.String(), eventId: Type.String(), eventType: Type.String(), receivedAt: Type.String() },
        ...{ attempts: Type.Integer(), processedAt: Nullable(Type.String()), outcome: Nullable(Type.String()) },
        lastError: Nullable(Type.String()),
      }),
      { description: 'provider webhooks that named the escrow: metadata only, never their bodies' },
    ),
    outbox: Type.Array(
      Type.Object({
        ...{ id: Type.String(), eventId: Type.String(), sequence: Nullable(Type.Integer()) },
        ...{ type: Nullable(Type.String()), createdAt: Type.String(), publishedAt: Nullable(Type.String()) },
        ...{ attempts: Type.Integer(), lastError: Nullable(Type.String()) },
        ...{ deadLetteredAt: Nullable(Type.String()), skippedAt: Nullable(Type.String()) },
      }),
    ),
    audit: Type.Array(
      Type.Object({
        ...{ id: Type.String(), actorId: Type.String(), actorRole: Type.String(), action: Type.String() },
        ...{ fromStatus: Nullable(Type.String()), toStatus: Nullable(Type.String()) },
        ...{ details: Type.Record(Type.String(), Type.Unknown()), createdAt: Type.String() },
      }),
    ),
    disputes: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  },
  {
    examples: [
      {
        escrow: { id: ID, status: 'RELEASED', amount: '250000', currency: 'USD', version: 5 },
        events: [{ sequence: 1, type: 'EscrowCreated', at: AT, actor: { id: 'buyer-1', role: 'user' }, eventId: ID }],
        ledger: [{ transactionId: ID, account: `escrow:${ID}:holding`, amount: '250000', currency: 'USD', at: AT }],
        settlements: [FAILED_SETTLEMENT],
        webhooks: [
          {
            ...{ provider: 'stripe', eventId: 'evt_1', eventType: 'payment_intent.succeeded', receivedAt: AT },
            ...{ attempts: 1, processedAt: AT, outcome: 'processed', lastError: null },
          },
        ],
        outbox: [
          {
            ...{ id: '42', eventId: ID, sequence: 1, type: 'EscrowCreated', createdAt: AT, publishedAt: AT },
            ...{ attempts: 1, lastError: null, deadLetteredAt: null, skippedAt: null },
          },
        ],
        audit: [
          {
            ...{ id: '7', actorId: 'cli:ops', actorRole: 'admin', action: 'settlements.retry' },
            ...{ fromStatus: null, toStatus: null, details: { reason: 'INC-12 account fixed' }, createdAt: AT },
          },
        ],
        disputes: [],
      },
    ],
  },
);

export const RebuildBody = Type.Object(
  {
    reason: Type.Optional(Reason),
    dryRun: Type.Optional(Type.Boolean({ description: 'show the difference, change nothing (no reason needed)' })),
  },
  {
    additionalProperties: false,
    examples: [{ dryRun: true }, { reason: 'INC-31: row drifted after a manual UPDATE' }],
  },
);

export const RebuildView = Type.Object(
  {
    ...{ escrowId: Type.String(), dryRun: Type.Boolean(), drifted: Type.Boolean() },
    repaired: Type.Boolean({ description: 'the escrows row was rewritten from its events (audited escrow.rebuild)' }),
    eventCount: Type.Integer(),
    differences: Type.Array(
      Type.Object({
        field: Type.String(),
        row: anyJson('the value in the escrows row now'),
        events: anyJson('the value fold(events) gives'),
        repairable: Type.Boolean({ description: 'a column of the row (false: a side table, reported only)' }),
      }),
    ),
  },
  {
    examples: [
      {
        ...{ escrowId: ID, dryRun: true, drifted: true, repaired: false, eventCount: 4 },
        differences: [{ field: 'status', row: 'FUNDS_HELD', events: 'DELIVERED', repairable: true }],
      },
      { escrowId: ID, dryRun: false, drifted: false, repaired: false, eventCount: 4, differences: [] },
    ],
  },
);

export const SettlementsQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('PENDING'), Type.Literal('SUCCEEDED'), Type.Literal('FAILED')])),
    limit: Type.Optional(limitParam),
  },
  { additionalProperties: false },
);

export const SettlementsView = Type.Object(
  { data: Type.Array(SettlementView, { description: 'oldest first' }) },
  { examples: [{ data: [FAILED_SETTLEMENT] }] },
);

export const SettlementIdParams = Type.Object(
  { settlementId: Type.String({ examples: [SETTLEMENT], description: 'the settlement id' }) },
  { additionalProperties: false },
);

export const RetryBody = Type.Object(
  { reason: Reason, dryRun: Type.Optional(Type.Boolean({ description: 'decide only, change nothing' })) },
  { additionalProperties: false, examples: [{ reason: 'INC-12: seller fixed their account', dryRun: true }] },
);

const Retry = Type.Object({
  ...{ dryRun: Type.Boolean(), escrowId: Type.String(), settlementId: Type.String() },
  status: Type.String({ description: 'the settlement status afterwards (PENDING: the worker sends it again)' }),
  events: Type.Array(Type.Object({ type: Type.String(), data: Type.Unknown() }), {
    description: 'a dry run: the events the command would record',
  }),
});
const RETRIED = { dryRun: false, escrowId: ID, settlementId: SETTLEMENT, status: 'PENDING', events: [] };

export const RetryView = Type.Object(Retry.properties, { examples: [RETRIED] });

export const RetryAllBody = Type.Object(
  {
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'decide only, change nothing' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: OPERATOR_LIST.max, examples: [50] })),
  },
  { additionalProperties: false, examples: [{ reason: 'INC-12: provider outage over', dryRun: true, limit: 50 }] },
);

export const RetryAllView = Type.Object(
  {
    dryRun: Type.Boolean(),
    results: Type.Array(Type.Union([Retry, Type.Object({ settlementId: Type.String(), error: Type.String() })]), {
      description: 'per FAILED settlement: retried, or why it was refused',
    }),
  },
  { examples: [{ dryRun: false, results: [RETRIED] }] },
);

const Line = Type.Object({
  ...{ queue: Type.String(), metric: Type.String(), value: Type.Integer(), threshold: Type.String() },
  status: Type.Union([Type.Literal('OK'), Type.Literal('WARN'), Type.Literal('PROBLEM')]),
});

export const QueueStatsView = Type.Object(
  {
    checkedAt: Type.String(),
    healthy: Type.Boolean({ description: 'no line is PROBLEM' }),
    figures: Type.Object({}, { additionalProperties: true, description: 'the raw figures per queue' }),
    lines: Type.Array(Line, { description: 'each figure against its runbook threshold' }),
  },
  {
    examples: [
      {
        ...{ checkedAt: AT, healthy: true },
        figures: { outbox: { unpublished: 0, oldestAgeSeconds: 0, deadLetters: 0 } },
        lines: [{ queue: 'outbox', metric: 'unpublished', value: 0, threshold: '<= 100', status: 'OK' }],
      },
    ],
  },
);
