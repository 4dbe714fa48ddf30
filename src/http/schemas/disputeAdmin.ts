import { Type } from 'typebox';
import { Nullable, saying } from './common.js';

// The admins' dispute queue (GET /api/admin/disputes, `escrow disputes`) and the vault key rotation
// (POST /api/admin/vault/rotate, `escrow vault rotate`).

/** The most disputes one page of the queue lists. */
export const DISPUTE_QUEUE_MAX = 100;
export const DISPUTE_QUEUE_DEFAULT = 50;

export const DisputeQueueQuery = Type.Object(
  {
    overdue: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: only disputes past a deadline (RESPONSE or SLA); false or absent: every open dispute',
      }),
    ),
    limit: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,3}$',
        examples: [String(DISPUTE_QUEUE_DEFAULT)],
        description: `list at most this many, 1-${DISPUTE_QUEUE_MAX} (default ${DISPUTE_QUEUE_DEFAULT})`,
        ...saying(`must be 1-${DISPUTE_QUEUE_MAX}`),
      }),
    ),
  },
  { additionalProperties: false },
);

const Deadline = Type.Union([Type.Literal('RESPONSE'), Type.Literal('SLA')]);

const DisputeSummaryView = Type.Object({
  disputeId: Type.String(),
  escrowId: Type.String(),
  milestoneId: Nullable(Type.String()),
  openedBy: Type.String(),
  reason: Type.String(),
  status: Type.Union([Type.Literal('OPEN'), Type.Literal('IN_REVIEW')]),
  reviewerId: Nullable(Type.String()),
  createdAt: Type.String(),
  respondBy: Type.String({ description: "when the other party's answer is due" }),
  responded: Type.Boolean({ description: 'the other party (not the opener) has added a statement, evidence or files' }),
  slaDueAt: Type.String({ description: "when the admins' ruling is due (DISPUTE_SLA_DAYS after opening)" }),
  overdue: Type.Array(Deadline, {
    description: 'the deadlines passed: RESPONSE (no answer from the other party in time), SLA (no ruling in time)',
  }),
  nextDeadline: Type.String({
    description: 'the earliest deadline still running (respondBy only while unanswered): the sort key',
  }),
});

const OverdueCounts = Type.Object({
  response: Type.Integer({ description: 'open disputes past respondBy without an answer' }),
  sla: Type.Integer({ description: 'open disputes past slaDueAt' }),
});

const LATE = {
  disputeId: '0190f0c8-0000-7000-8000-0000000000d1',
  escrowId: '0190f0c8-0000-7000-8000-00000000000a',
  milestoneId: null,
  openedBy: 'buyer-1042',
  reason: 'item not as described',
  status: 'OPEN',
  reviewerId: null,
  createdAt: '2026-11-20T10:00:00.000Z',
  respondBy: '2026-11-23T10:00:00.000Z',
  responded: false,
  slaDueAt: '2026-11-27T10:00:00.000Z',
  overdue: ['RESPONSE'],
  nextDeadline: '2026-11-23T10:00:00.000Z',
};
const ANSWERED = {
  disputeId: '0190f0c8-0000-7000-8000-0000000000d2',
  escrowId: '0190f0c8-0000-7000-8000-00000000000b',
  milestoneId: '0190f0c8-0000-7000-8000-0000000000c1',
  openedBy: 'seller-77',
  reason: 'buyer unreachable after delivery',
  status: 'IN_REVIEW',
  reviewerId: 'ops-alice',
  createdAt: '2026-11-21T09:30:00.000Z',
  respondBy: '2026-11-24T09:30:00.000Z',
  responded: true,
  slaDueAt: '2026-11-28T09:30:00.000Z',
  overdue: [],
  nextDeadline: '2026-11-28T09:30:00.000Z',
};

export const DisputeQueueView = Type.Object(
  {
    data: Type.Array(DisputeSummaryView, { description: 'open disputes (OPEN, IN_REVIEW), next deadline first' }),
    overdueCounts: Type.Object(OverdueCounts.properties, {
      description: 'all open disputes past each deadline now (whatever the filter and the limit)',
    }),
  },
  { examples: [{ data: [LATE, ANSWERED], overdueCounts: { response: 1, sla: 0 } }] },
);

export const VaultRotateBody = Type.Object(
  {
    reason: Type.String({
      minLength: 1,
      maxLength: 500,
      description: 'why (kept in the audit row of every secret resealed)',
      ...saying('must be 1-500 characters saying why'),
    }),
    dryRun: Type.Optional(Type.Boolean({ description: 'count the secrets per key, reseal nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { reason: 'quarterly key rotation (SEC-12)', dryRun: true },
      { reason: 'quarterly key rotation (SEC-12)' },
    ],
  },
);

export const RotationReportView = Type.Object(
  {
    dryRun: Type.Boolean(),
    currentKeyId: Type.String({ description: 'the id of VAULT_KEY: every secret is sealed under it afterwards' }),
    byKey: Type.Record(Type.String(), Type.Integer(), { description: 'secrets per key id before the run' }),
    resealed: Type.Integer({ description: 'secrets opened and sealed again under the current key' }),
    remaining: Type.Integer({
      description: 'secrets still under another key afterwards (0 unless a dry run): the previous keys can go at 0',
    }),
  },
  {
    examples: [
      { dryRun: false, currentKeyId: 'k2026q4', byKey: { k2026q3: 41, k2026q4: 3 }, resealed: 41, remaining: 0 },
      { dryRun: true, currentKeyId: 'k2026q4', byKey: { k2026q3: 41, k2026q4: 3 }, resealed: 0, remaining: 41 },
    ],
  },
);
