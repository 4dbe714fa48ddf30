import { Type } from 'typebox';
import { Nullable, Uuid } from './common.js';

// Command outcomes, webhooks, the timeout run and health.

export const CommandView = Type.Object(
  {
    commandId: Uuid,
    escrowId: Uuid,
    type: Type.String(),
    status: Type.Union([Type.Literal('SUCCEEDED'), Type.Literal('FAILED'), Type.Literal('PENDING')], {
      description: 'SUCCEEDED (applied), FAILED (refused: see error; nothing changed) or PENDING (not processed yet)',
    }),
    fromStatus: Type.Optional(Nullable(Type.String())),
    toStatus: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer()),
    eventIds: Type.Optional(Type.Array(Uuid)),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  },
  {
    examples: [
      {
        commandId: '0190f0c8-0000-7000-8000-0000000000c1',
        escrowId: '0190f0c8-0000-7000-8000-00000000000a',
        type: 'MarkDelivered',
        status: 'SUCCEEDED',
        fromStatus: 'FUNDS_HELD',
        toStatus: 'DELIVERED',
        version: 3,
        eventIds: ['0190f0c8-0000-7000-8000-0000000000e1'],
      },
      {
        commandId: '0190f0c8-0000-7000-8000-0000000000c2',
        escrowId: '0190f0c8-0000-7000-8000-00000000000a',
        type: 'ConfirmDelivery',
        status: 'FAILED',
        error: { code: 'INVALID_STATE_TRANSITION', message: 'ConfirmDelivery is not allowed in status FUNDS_HELD' },
      },
    ],
  },
);

export const CommandAccepted = Type.Object(
  { commandId: Uuid, status: Type.Literal('PENDING') },
  {
    description:
      'Kafka mode: the command is on the broker but its outcome did not arrive within COMMAND_REPLY_TIMEOUT_MS. ' +
      'Poll the Location (GET /api/commands/{id}); retrying the request with the same Idempotency-Key is safe.',
    examples: [{ commandId: '0190f0c8-0000-7000-8000-0000000000c1', status: 'PENDING' }],
  },
);

export const WebhookAck = Type.Object(
  { received: Type.Boolean(), status: Type.String(), outcome: Type.Optional(Type.String()) },
  { examples: [{ received: true, status: 'processed', outcome: 'FUNDS_HELD' }] },
);

export const TimeoutsSummary = Type.Object(
  {
    expired: Type.Integer(),
    deliveryTimeouts: Type.Integer(),
    skipped: Type.Integer(),
    due: Type.Array(Type.Object({ kind: Type.String(), escrowId: Type.String(), deadline: Type.String() })),
  },
  {
    examples: [
      {
        expired: 1,
        deliveryTimeouts: 0,
        skipped: 0,
        due: [
          {
            kind: 'PAYMENT_DEADLINE',
            escrowId: '0190f0c8-0000-7000-8000-00000000000a',
            deadline: '2026-11-30T10:00:00.000Z',
          },
        ],
      },
    ],
  },
);

const Check = Type.Object({
  status: Type.String(),
  latency_ms: Type.Optional(Type.Number()),
  detail: Type.Optional(Type.String()),
});
export const HealthView = Type.Object(
  {
    status: Type.String(),
    timestamp: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    uptime_seconds: Type.Optional(Type.Integer()),
    checks: Type.Optional(Type.Record(Type.String(), Check)),
  },
  {
    examples: [
      {
        status: 'ok',
        timestamp: '2026-11-23T10:00:00.000Z',
        version: '0.1.0',
        uptime_seconds: 42,
        checks: { database: { status: 'ok', latency_ms: 0.8 }, outbox: { status: 'ok', detail: '0 unpublished' } },
      },
    ],
  },
);

export const WebhookBody = Type.Object(
  {},
  {
    additionalProperties: true,
    examples: [
      {
        id: 'evt_0190f0c8',
        type: 'payment.succeeded',
        created: 1795400000,
        data: {
          reference: 'sbx_0190f0c800007000800000000000000a',
          transactionId: 'sbx_txn_1',
          amount: '10000',
          currency: 'USD',
        },
      },
    ],
  },
);

// The operator routes the CLI goes through while the embedded server owns its data directory (docs/operations.md).

const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'why (kept in the audit row)' });
const ESCROW = '0190f0c8-0000-7000-8000-00000000000a';

export const VerifyResult = Type.Object(
  {
    ok: Type.Boolean(),
    escrowsChecked: Type.Integer(),
    violations: Type.Array(Type.Object({ escrowId: Nullable(Type.String()), problem: Type.String() })),
  },
  {
    description: 'Every ledger and event invariant (what `escrow verify` prints).',
    examples: [
      { ok: true, escrowsChecked: 42, violations: [] },
      {
        ok: false,
        escrowsChecked: 42,
        violations: [{ escrowId: ESCROW, problem: 'holding 10000 exceeds funded 0' }],
      },
    ],
  },
);

export const OutboxStatusView = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    unpublished: Type.Integer(),
    oldestAgeSeconds: Type.Number(),
    deadLetters: Type.Integer(),
  },
  { examples: [{ status: 'ok', unpublished: 0, oldestAgeSeconds: 0, deadLetters: 1 }] },
);

export const DeadLetterQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({
        pattern: '^[1-9][0-9]{0,5}$',
        description: 'list at most this many (default 100)',
        examples: ['20'],
      }),
    ),
  },
  { additionalProperties: false },
);

export const DeadLetterList = Type.Array(
  Type.Object({
    id: Type.String({ description: 'the outbox row id (what replay takes)' }),
    eventId: Uuid,
    escrowId: Uuid,
    eventType: Type.String(),
    sequence: Type.Integer(),
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    deadLetteredAt: Type.String(),
  }),
  {
    examples: [
      [
        {
          id: '42',
          eventId: '0190f0c8-0000-7000-8000-0000000000e1',
          escrowId: ESCROW,
          eventType: 'EscrowFundsHeld',
          sequence: 2,
          attempts: 10,
          lastError: 'broker unavailable',
          deadLetteredAt: '2026-11-23T10:00:00.000Z',
        },
      ],
    ],
  },
);

export const OutboxReplayBody = Type.Object(
  {
    all: Type.Optional(Type.Literal(true, { description: 'every dead letter' })),
    ids: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{1,19}$' }), { minItems: 1, maxItems: 1000 })),
    escrowId: Type.Optional(Uuid),
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'count what would be queued and change nothing' })),
  },
  {
    additionalProperties: false,
    description: 'Exactly one of all, ids (dead letters by outbox id) or escrowId (re-publish its every event).',
    examples: [
      { all: true, reason: 'broker back after the outage', dryRun: true },
      { ids: ['42', '43'], reason: 'consumer fixed' },
    ],
  },
);

export const OutboxReplayResult = Type.Object(
  { queued: Type.Integer(), dryRun: Type.Optional(Type.Literal(true)) },
  { examples: [{ queued: 2 }, { queued: 2, dryRun: true }] },
);

export const MigrationsBody = Type.Object(
  { reason: Type.Optional(Reason), dryRun: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, examples: [{ dryRun: true }, { reason: 'upgrade to 0.2' }] },
);

export const MigrationsView = Type.Object(
  {
    applied: Type.Array(Type.String(), { description: 'applied by this call' }),
    installed: Type.Array(Type.String()),
    pending: Type.Array(Type.String()),
    migrations: Type.Optional(
      Type.Array(
        Type.Object({
          version: Type.Integer(),
          name: Type.String(),
          state: Type.Union([Type.Literal('applied'), Type.Literal('pending'), Type.Literal('unknown')], {
            description:
              'unknown: applied, but not a migration of this release (a newer schema, e.g. after a rollback)',
          }),
          appliedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
          changed: Type.Union([Type.Boolean(), Type.Null()], {
            description:
              "the file's checksum differs from the applied one; null: not applied, or applied before checksums",
          }),
        }),
        { description: 'every migration, this release’s and the database’s, by version (`escrow migrate --status`)' },
      ),
    ),
  },
  {
    examples: [
      {
        applied: [],
        installed: ['001_schema', '002_escrow_commit'],
        pending: [],
        migrations: [
          { version: 1, name: '001_schema', state: 'applied', appliedAt: '2026-12-01T10:00:00.000Z', changed: false },
          {
            version: 2,
            name: '002_escrow_commit',
            state: 'applied',
            appliedAt: '2026-12-01T10:00:01.000Z',
            changed: false,
          },
        ],
      },
      { applied: ['002_escrow_commit'], installed: ['001_schema', '002_escrow_commit'], pending: [] },
    ],
  },
);

export const SandboxPaymentBody = Type.Object(
  {
    target: Type.String({ minLength: 1, maxLength: 100, description: "the escrow's id or its payment reference" }),
    outcome: Type.Optional(Type.Union([Type.Literal('succeed'), Type.Literal('fail')], { default: 'succeed' })),
    amount: Type.Optional(Type.String({ pattern: '^[0-9]{1,30}$', description: 'pay this instead (minor units)' })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3,5}$' })),
    reason: Type.Optional(Reason),
  },
  {
    additionalProperties: false,
    examples: [{ target: ESCROW }, { target: 'sbx_0190f0c800007000800000000000000a', outcome: 'fail' }],
  },
);

export const WebhookOutcomeView = Type.Object(
  {
    status: Type.Union([Type.Literal('processed'), Type.Literal('duplicate'), Type.Literal('failed')]),
    outcome: Type.Optional(Type.String()),
    escrowId: Type.Optional(Nullable(Type.String())),
    error: Type.Optional(Type.String()),
  },
  {
    description: "The webhook intake's outcome (what `escrow sandbox pay` prints).",
    examples: [{ status: 'processed', outcome: 'FUNDS_HELD', escrowId: ESCROW }],
  },
);

const dryRun = (what: string) => Type.Optional(Type.Boolean({ description: what }));

export const OutboxSkipParams = Type.Object(
  {
    outboxId: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'the outbox row id (escrow outbox dlq); anything else is no dead letter (404)',
      examples: ['42'],
    }),
  },
  { additionalProperties: false },
);

export const OutboxSkipBody = Type.Object(
  { reason: Reason, dryRun: dryRun('only say whether it would be skipped (it is a dead letter); change nothing') },
  {
    additionalProperties: false,
    examples: [
      { reason: 'the consumer rejects this event for good; later events must go out' },
      { reason: 'check', dryRun: true },
    ],
  },
);

export const OutboxSkipResult = Type.Object(
  {
    id: Type.String(),
    skipped: Type.Boolean({ description: 'skipped for good (with dryRun: would be)' }),
    escrowId: Type.Optional(Uuid),
    eventId: Type.Optional(Uuid),
    dryRun: Type.Optional(Type.Literal(true)),
  },
  {
    examples: [
      { id: '42', skipped: true, escrowId: ESCROW, eventId: '0190f0c8-0000-7000-8000-0000000000e1' },
      { id: '42', skipped: true, dryRun: true },
    ],
  },
);
