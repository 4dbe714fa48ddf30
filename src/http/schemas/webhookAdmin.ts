import { Type } from 'typebox';
import { Nullable, Rail, saying } from './common.js';

// The operator routes for provider webhooks and reconciliation (SPEC §8 `escrow webhooks failed|reprocess`,
// `escrow reconcile`): GET /api/admin/webhooks/failed, POST /api/admin/webhooks/reprocess, POST /api/admin/reconcile.

const ESCROW = '0190f0c8-0000-7000-8000-00000000000a';
const EVENT = 'evt_0190f0c8-0000-7000-8000-0000000000e1';
const UNKNOWN = 'UNKNOWN_REFERENCE: no escrow has payment reference sbx_0190f0c800007000800000000000000a';

/** The most events one list or reprocess takes. */
export const WEBHOOK_SELECTION_MAX = 500;

const Provider = Type.String({
  pattern: '^[a-z0-9_-]{1,40}$',
  examples: ['sandbox'],
  description: "the provider's name, as in /api/webhooks/{provider} (e.g. sandbox, stripe, paystack)",
  ...saying('must be a provider name: 1-40 lower-case letters, digits, _ or -'),
});
const EventId = Type.String({
  minLength: 1,
  maxLength: 255,
  examples: [EVENT],
  description: "the provider's event id",
});
const Since = Type.String({
  format: 'date-time',
  examples: ['2026-11-23T10:00:00.000Z'],
  description: 'only events received at or after this time',
  ...saying('must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00.000Z'),
});
const Reason = Type.String({ minLength: 1, maxLength: 500, description: 'why (kept in the audit row)' });

export const FailedWebhooksQuery = Type.Object(
  {
    provider: Type.Optional(Provider),
    since: Type.Optional(Since),
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,3}$',
        examples: ['100'],
        description: `list at most this many, 1-${WEBHOOK_SELECTION_MAX} (default 100)`,
        ...saying(`must be 1-${WEBHOOK_SELECTION_MAX}`),
      }),
    ),
  },
  { additionalProperties: false },
);

/** One stored event that was not processed: metadata only, never its body or headers (they may hold personal data). */
const FailedWebhook = Type.Object({
  provider: Type.String(),
  eventId: Type.String(),
  type: Type.String({ description: 'what the event said, e.g. payment.succeeded' }),
  escrowId: Nullable(Type.String()),
  attempts: Type.Integer({ description: 'deliveries and reprocessings so far' }),
  lastError: Nullable(Type.String()),
  receivedAt: Type.String(),
  reprocessable: Type.Boolean({
    description: 'its raw bytes are kept and its provider is enabled: `webhooks reprocess` can verify and apply it',
  }),
});

export const FailedWebhookList = Type.Object(
  { items: Type.Array(FailedWebhook, { description: 'oldest first' }) },
  {
    description: 'Provider events stored unprocessed (what `escrow webhooks failed` prints).',
    examples: [
      {
        items: [
          {
            provider: 'sandbox',
            eventId: EVENT,
            type: 'payment.succeeded',
            escrowId: null,
            attempts: 2,
            lastError: UNKNOWN,
            receivedAt: '2026-11-23T10:00:00.000Z',
            reprocessable: true,
          },
        ],
      },
    ],
  },
);

export const WebhookReprocessBody = Type.Object(
  {
    provider: Type.Optional(Provider),
    eventId: Type.Optional(EventId),
    since: Type.Optional(Since),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: WEBHOOK_SELECTION_MAX, description: 'at most this many (default 100)' }),
    ),
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'list what would be reprocessed, changing nothing' })),
  },
  {
    additionalProperties: false,
    description:
      'Which failed events to verify again over their stored raw bytes and apply (oldest first); none given: all ' +
      'of them, up to limit. An event already processed is never applied again.',
    examples: [
      { provider: 'sandbox', reason: 'the escrow exists now; payment webhooks arrived first', dryRun: true },
      { provider: 'sandbox', eventId: EVENT, reason: 'the escrow exists now; payment webhooks arrived first' },
    ],
  },
);

const Outcome = Type.Object(
  {
    status: Type.Union(
      [
        Type.Literal('processed'),
        Type.Literal('duplicate'),
        Type.Literal('failed'),
        Type.Literal('would reprocess'),
        Type.Literal('skipped'),
      ],
      {
        description:
          'processed (applied now), duplicate (already applied), failed (stored unprocessed again: see error), ' +
          'would reprocess (dry run), skipped (cannot be verified again: see reason; nothing changed)',
      },
    ),
    outcome: Type.Optional(Type.String()),
    escrowId: Type.Optional(Nullable(Type.String())),
    error: Type.Optional(Type.String()),
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const WebhookReprocessResult = Type.Object(
  {
    dryRun: Type.Boolean(),
    results: Type.Array(
      Type.Object({
        provider: Type.String(),
        eventId: Type.String(),
        type: Type.String(),
        lastError: Nullable(Type.String({ description: 'the error it was stored with before this call' })),
        result: Outcome,
      }),
    ),
  },
  {
    description: 'What became of each selected event (what `escrow webhooks reprocess` prints).',
    examples: [
      {
        dryRun: false,
        results: [
          {
            provider: 'sandbox',
            eventId: EVENT,
            type: 'payment.succeeded',
            lastError: UNKNOWN,
            result: { status: 'processed', outcome: 'FUNDS_HELD', escrowId: ESCROW },
          },
        ],
      },
      {
        dryRun: true,
        results: [
          {
            provider: 'sandbox',
            eventId: EVENT,
            type: 'payment.succeeded',
            lastError: UNKNOWN,
            result: { status: 'would reprocess' },
          },
        ],
      },
    ],
  },
);

export const ReconcileBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'report what would be applied, apply nothing' })),
    windowHours: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 720,
        description:
          'how far back funded escrows and succeeded settlements are checked (default RECONCILE_WINDOW_HOURS)',
      }),
    ),
    reason: Type.Optional(Reason),
  },
  {
    additionalProperties: false,
    examples: [{ dryRun: true }, { windowHours: 48, reason: 'Stripe webhooks were down 09:00-10:30' }],
  },
);

const Mismatch = Type.Object({
  kind: Type.String({
    description:
      'MISSED_PAYMENT, MISSED_PAYMENT_FAILURE, PAYMENT_MISSING_AT_PROVIDER, MISSED_SETTLEMENT_RESULT, ' +
      'SETTLEMENT_MISSING_AT_PROVIDER, PROVIDER_BALANCE_SHORT or PROVIDER_UNREACHABLE',
  }),
  rail: Rail,
  escrowId: Nullable(Type.String()),
  settlementId: Type.Optional(Type.String()),
  detail: Type.String(),
  fix: Type.String({ description: 'what the run applied (or would), or the command an operator runs' }),
  applied: Type.Boolean(),
});

const TreasuryLine = Type.Object({
  rail: Rail,
  currency: Type.String(),
  owed: Type.String({ description: 'held at the provider for buyers and sellers, per the ledger (minor units)' }),
  feeRevenue: Type.String(),
  providerBalance: Nullable(Type.String()),
  platformShareAtProvider: Nullable(Type.String()),
  status: Type.Union([Type.Literal('ok'), Type.Literal('short'), Type.Literal('unknown')]),
});

export const ReconciliationReportView = Type.Object(
  {
    at: Type.String(),
    dryRun: Type.Boolean(),
    checked: Type.Object({
      awaitingFunds: Type.Integer(),
      funded: Type.Integer(),
      pendingSettlements: Type.Integer(),
      succeededSettlements: Type.Integer(),
    }),
    recovered: Type.Object({ payments: Type.Integer(), settlements: Type.Integer() }),
    mismatches: Type.Array(Mismatch),
    treasury: Type.Array(TreasuryLine),
  },
  {
    description: 'The three-way report: escrow state, ledger and provider (what `escrow reconcile --json` prints).',
    examples: [
      {
        at: '2026-11-23T10:00:00.000Z',
        dryRun: false,
        checked: { awaitingFunds: 3, funded: 12, pendingSettlements: 1, succeededSettlements: 9 },
        recovered: { payments: 1, settlements: 0 },
        mismatches: [
          {
            kind: 'MISSED_PAYMENT',
            rail: 'STRIPE',
            escrowId: ESCROW,
            detail: 'stripe has payment pi_3Nx of 10300 USD; the escrow awaits funds',
            fix: 'applied by the reconciler through the command path',
            applied: true,
          },
        ],
        treasury: [
          {
            rail: 'STRIPE',
            currency: 'USD',
            owed: '120000',
            feeRevenue: '3600',
            providerBalance: '123600',
            platformShareAtProvider: '3600',
            status: 'ok',
          },
        ],
      },
    ],
  },
);
