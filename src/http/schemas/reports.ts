import { Type } from 'typebox';
import { Currency, Minor, Nullable, saying } from './common.js';

// The business and fraud reports (GET /api/admin/reports/{volume,fees,disputes,offenders}, `escrow report`). The
// service checks `since`, `by` and `min` again and says what is wrong; these bound the sizes.

const Since = Type.String({
  maxLength: 40,
  description: 'ISO 8601, or a duration back from now (90m, 24h, 7d); default 24h (offenders 7d), at most 366 days',
  examples: ['7d', '2026-11-23T00:00:00Z'],
  ...saying('must be an ISO 8601 time or a duration such as 24h or 7d'),
});
const By = Type.Union([Type.Literal('day'), Type.Literal('hour')], { description: 'bucket size (UTC); default day' });

export const ReportQuery = Type.Object(
  { since: Type.Optional(Since), currency: Type.Optional(Currency), by: Type.Optional(By) },
  { additionalProperties: false, examples: [{ since: '7d', currency: 'USD', by: 'day' }] },
);
export const DisputeReportQuery = Type.Object(
  { since: Type.Optional(Since), currency: Type.Optional(Currency) },
  { additionalProperties: false, examples: [{ since: '24h' }] },
);
export const OffenderQuery = Type.Object(
  {
    since: Type.Optional(Since),
    currency: Type.Optional(Currency),
    min: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: 'fewest disputes listed (1-1000, default 3)',
        examples: ['3'],
      }),
    ),
  },
  { additionalProperties: false, examples: [{ since: '7d', min: '3' }] },
);

const Window = {
  since: Type.String({ description: 'start of the window (inclusive)' }),
  until: Type.String({ description: 'end of the window (now, inclusive)' }),
  currency: Nullable(Type.String({ description: 'the currency asked for, or null for all' })),
};
const Period = Type.String({ description: 'start of the UTC day or hour' });
const VolumeProps = {
  currency: Type.String(),
  created: Type.Integer(),
  funded: Type.Integer(),
  released: Type.Integer(),
  refunded: Type.Integer(),
  disputed: Type.Integer({ description: 'disputes opened' }),
  fundedAmount: Minor,
  releasedAmount: { ...Minor, description: "to sellers (after the seller's fee)" },
  refundedAmount: { ...Minor, description: 'back to buyers' },
};
const W = { since: '2026-11-23T00:00:00.000Z', until: '2026-11-30T00:00:00.000Z', currency: null };
const USD = {
  currency: 'USD',
  ...{ created: 12, funded: 10, released: 6, refunded: 1, disputed: 2 },
  ...{ fundedAmount: '125000', releasedAmount: '72750', refundedAmount: '10000' },
};

export const VolumeReportView = Type.Object(
  {
    report: Type.Literal('volume'),
    ...Window,
    by: By,
    totals: Type.Array(Type.Object(VolumeProps), { description: 'per currency over the window' }),
    periods: Type.Array(Type.Object({ period: Period, ...VolumeProps }), { description: 'per bucket and currency' }),
  },
  { examples: [{ report: 'volume', ...W, by: 'day', totals: [USD], periods: [{ period: W.since, ...USD }] }] },
);

const FeeProps = {
  currency: Type.String(),
  fees: { ...Minor, description: 'sum of the fee revenue postings' },
  postings: Type.Integer(),
};
export const FeesReportView = Type.Object(
  {
    report: Type.Literal('fees'),
    ...Window,
    by: By,
    account: Type.String({ description: 'the ledger account read (platform:fee_revenue)' }),
    totals: Type.Array(Type.Object(FeeProps)),
    periods: Type.Array(Type.Object({ period: Period, ...FeeProps })),
  },
  {
    examples: [
      {
        report: 'fees',
        ...W,
        by: 'day',
        account: 'platform:fee_revenue',
        totals: [{ currency: 'USD', fees: '3250', postings: 7 }],
        periods: [{ period: W.since, currency: 'USD', fees: '3250', postings: 7 }],
      },
    ],
  },
);

const Count = (key: string) => Type.Object({ [key]: Type.String(), count: Type.Integer() });
export const DisputesReportView = Type.Object(
  {
    report: Type.Literal('disputes'),
    ...Window,
    totals: Type.Array(
      Type.Object({
        currency: Type.String(),
        funded: Type.Integer({ description: 'escrows funded in the window' }),
        opened: Type.Integer({ description: 'disputes opened in the window' }),
        ratePercent: Nullable(Type.String({ description: 'opened / funded in percent, e.g. "25.00"' })),
      }),
    ),
    byReason: Type.Array(Count('reason')),
    byOutcome: Type.Array(Count('outcome'), { description: 'OPEN, IN_REVIEW, or the ruling: RELEASE, REFUND, SPLIT' }),
    rows: Type.Array(
      Type.Object({ currency: Type.String(), reason: Type.String(), outcome: Type.String(), count: Type.Integer() }),
    ),
  },
  {
    examples: [
      {
        report: 'disputes',
        ...W,
        totals: [{ currency: 'USD', funded: 10, opened: 2, ratePercent: '20.00' }],
        byReason: [{ reason: 'not delivered', count: 2 }],
        byOutcome: [
          { outcome: 'OPEN', count: 1 },
          { outcome: 'REFUND', count: 1 },
        ],
        rows: [
          { currency: 'USD', reason: 'not delivered', outcome: 'OPEN', count: 1 },
          { currency: 'USD', reason: 'not delivered', outcome: 'REFUND', count: 1 },
        ],
      },
    ],
  },
);

export const OffendersReportView = Type.Object(
  {
    report: Type.Literal('offenders'),
    ...Window,
    min: Type.Integer(),
    offenders: Type.Array(
      Type.Object({
        role: Type.Union([Type.Literal('SELLER'), Type.Literal('BUYER')]),
        userId: Type.String(),
        disputes: Type.Integer(),
        escrows: Type.Integer(),
        lastDisputeAt: Type.String(),
        blacklisted: Type.Boolean({ description: 'an entry in force blacklists this user id already' }),
        command: Nullable(
          Type.String({
            description: 'the escrow blacklist add command (run it with --dry-run first); null: blacklisted',
          }),
        ),
      }),
    ),
  },
  {
    examples: [
      {
        report: 'offenders',
        ...W,
        min: 3,
        offenders: [
          {
            ...{
              role: 'SELLER',
              userId: 'seller-77',
              disputes: 4,
              escrows: 4,
              lastDisputeAt: W.until,
              blacklisted: false,
            },
            command: `escrow blacklist add --kind USER --value seller-77 --reason 'RB-04: 4 disputes as seller in 7 days'`,
          },
        ],
      },
    ],
  },
);
