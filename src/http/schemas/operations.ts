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
