import { Type } from 'typebox';
import { TEXT_MAX_LENGTH } from '../../domain/index.js';
import { Nullable, Uuid, saying } from './common.js';

// The emergency pause (POST /api/admin/pause, POST /api/admin/resume, GET /api/admin/pause). The service checks the
// scope and the reason again and says what is wrong; these bound the sizes.

const Target = Type.Union([Type.Literal('payouts'), Type.Literal('intake'), Type.Literal('all')], {
  description:
    'payouts: settlements and the timeouts that move money are held; intake: new escrows and user changes are ' +
    'refused (503 PAUSED); all: both',
});
const Scope = Type.Union([Type.Literal('payouts'), Type.Literal('intake')]);
const Reason = Type.String({
  minLength: 1,
  maxLength: TEXT_MAX_LENGTH.reason,
  description: 'why (kept with the pause and in the audit log)',
  ...saying(`must be 1-${TEXT_MAX_LENGTH.reason} characters saying why`),
});

export const PauseBody = Type.Object(
  {
    scope: Target,
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'say what would be paused, change nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { scope: 'all', reason: 'RB-05: suspected exploit of the payout path, INC-2211' },
      { scope: 'payouts', reason: 'provider incident: payouts bouncing', dryRun: true },
    ],
  },
);

export const ResumeBody = Type.Object(
  {
    scope: Type.Optional({ ...Target, description: 'what to lift; default all' }),
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'say what would be lifted, change nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { reason: 'INC-2211 fixed and verified (escrow verify clean)' },
      { scope: 'intake', reason: 'check', dryRun: true },
    ],
  },
);

export const PauseQuery = Type.Object(
  {
    // the range (1-100, default 20) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['20'], ...saying('must be 1-100') })),
  },
  { additionalProperties: false },
);

const PauseView = Type.Object({
  id: Uuid,
  scope: Scope,
  reason: Type.String(),
  setBy: Type.String({ description: "who paused: the admin token's subject, cli:<user>, or system:MAINTENANCE_MODE" }),
  setRole: Type.String(),
  setAt: Type.String(),
  liftedAt: Nullable(Type.String()),
  liftedBy: Nullable(Type.String()),
  liftReason: Nullable(Type.String()),
});

const StatusProps = {
  paused: Type.Boolean({ description: 'some scope is paused' }),
  payouts: Nullable(PauseView),
  intake: Nullable(PauseView),
};

const PAYOUTS = {
  id: '0190f0c8-0000-7000-8000-0000000000c1',
  scope: 'payouts',
  reason: 'RB-05: suspected exploit of the payout path, INC-2211',
  setBy: 'ops-alice',
  setRole: 'admin',
  setAt: '2026-12-02T10:00:00.000Z',
  liftedAt: null,
  liftedBy: null,
  liftReason: null,
};
const INTAKE = { ...PAYOUTS, id: '0190f0c8-0000-7000-8000-0000000000c2', scope: 'intake' };
const LIFTED = {
  ...PAYOUTS,
  id: '0190f0c8-0000-7000-8000-0000000000c3',
  reason: 'provider incident: payouts bouncing',
  setAt: '2026-11-20T08:00:00.000Z',
  liftedAt: '2026-11-20T09:30:00.000Z',
  liftedBy: 'ops-bob',
  liftReason: 'provider recovered',
};

export const PauseChangeView = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'true: what the change would be; nothing was stored or audited' }),
    changed: Type.Array(PauseView, {
      description: 'the pauses set (pause) or lifted (resume); empty: nothing to change (already so)',
    }),
    status: Type.Object(StatusProps, { description: 'what is in force after it (a dry run: would be)' }),
  },
  {
    examples: [
      { dryRun: false, changed: [PAYOUTS, INTAKE], status: { paused: true, payouts: PAYOUTS, intake: INTAKE } },
      {
        dryRun: false,
        changed: [{ ...PAYOUTS, liftedAt: '2026-12-02T11:00:00.000Z', liftedBy: 'ops-bob', liftReason: 'fixed' }],
        status: { paused: true, payouts: null, intake: INTAKE },
      },
    ],
  },
);

export const PauseReportView = Type.Object(
  { ...StatusProps, history: Type.Array(PauseView, { description: 'the latest pauses, newest first' }) },
  { examples: [{ paused: true, payouts: PAYOUTS, intake: null, history: [PAYOUTS, LIFTED] }] },
);
