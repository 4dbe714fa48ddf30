import { Type } from 'typebox';
import { Nullable } from './common.js';

// The daily review checklist (GET /api/admin/check, `escrow check`).

const ItemStatus = Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail'), Type.Literal('n/a')], {
  description: 'pass: as the runbook wants it; warn: look at it today; fail: act now; n/a: not answered here',
});

const CheckItemView = Type.Object({
  name: Type.String({ description: 'stable name, for scripts' }),
  question: Type.String({ description: "the seeds' checklist line" }),
  status: ItemStatus,
  value: Type.String({ description: 'what was found' }),
  next: Type.Optional(Type.String({ description: 'what to run next (when not a pass)' })),
});

const ActivityView = Type.Object({
  currency: Type.String(),
  created: Type.Integer(),
  released: Type.Integer(),
  refunded: Type.Integer(),
  disputed: Type.Integer(),
  cancelled: Type.Integer(),
  releasedVolume: Type.String({ pattern: '^[0-9]+$', description: 'minor units' }),
});

export const DailyCheckView = Type.Object(
  {
    ok: Type.Boolean({ description: 'false when any item failed (escrow check exits 1)' }),
    at: Type.String(),
    counts: Type.Object({ pass: Type.Integer(), warn: Type.Integer(), fail: Type.Integer(), 'n/a': Type.Integer() }),
    items: Type.Array(CheckItemView),
    last24h: Type.Array(ActivityView, { description: 'escrows created in the last 24 h, per currency' }),
    databaseBytes: Nullable(Type.String({ pattern: '^[0-9]+$' })),
  },
  {
    examples: [
      {
        ok: false,
        at: '2026-12-02T08:00:00.000Z',
        counts: { pass: 11, warn: 1, fail: 1, 'n/a': 1 },
        items: [
          {
            name: 'ledger',
            question: 'Ledger balanced, every escrow reproduced by its events (escrow verify)',
            status: 'pass',
            value: 'no violations (1843 escrows)',
          },
          {
            name: 'settlements_failed',
            question: 'No failed payouts or refunds',
            status: 'fail',
            value: '2',
            next: 'escrow settlements --failed; escrow settlements retry <id> --reason "…"',
          },
          {
            name: 'disputes',
            question: 'Dispute queue: none past its deadlines',
            status: 'warn',
            value: '4 open; 1 past respond-by, 0 past the SLA',
            next: 'escrow disputes --overdue',
          },
        ],
        last24h: [
          {
            currency: 'USD',
            created: 212,
            released: 150,
            refunded: 9,
            disputed: 4,
            cancelled: 12,
            releasedVolume: '1843000',
          },
        ],
        databaseBytes: '48234496',
      },
    ],
  },
);
