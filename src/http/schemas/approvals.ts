import { Type } from 'typebox';
import { TEXT_MAX_LENGTH } from '../../domain/index.js';
import { EscrowView } from './escrowViews.js';
import { Nullable, Uuid, saying } from './common.js';

// Dual control (GET /api/admin/approvals, POST /api/admin/approvals/{id}/approve|reject, the 202 of the release,
// refund and resolve routes, POST /api/admin/actions/dry-run). The service checks the reason and the filters again.

const Status = Type.Union(
  [
    Type.Literal('PENDING'),
    Type.Literal('APPROVING'),
    Type.Literal('APPROVED'),
    Type.Literal('REJECTED'),
    Type.Literal('EXPIRED'),
    Type.Literal('FAILED'),
  ],
  {
    description:
      'PENDING until a second admin decides; APPROVING while an approval applies it (no longer rejectable; one ' +
      'left so by a crash is finished by approving it again); APPROVED (applied), REJECTED, EXPIRED (not approved ' +
      'within ADMIN_APPROVAL_TTL_HOURS) or FAILED (the command was refused when approved: `result` has the problem)',
  },
);
const CommandType = Type.Union([
  Type.Literal('ReleaseEscrow'),
  Type.Literal('RefundEscrow'),
  Type.Literal('ResolveDispute'),
  Type.Literal('ReleaseMilestone'),
]);
const Reason = Type.String({
  minLength: 1,
  maxLength: TEXT_MAX_LENGTH.reason,
  description: 'why (kept with the approval and in the audit log)',
  ...saying(`must be 1-${TEXT_MAX_LENGTH.reason} characters saying why`),
});

export const ApprovalParams = Type.Object({ id: Uuid });

export const ApprovalQuery = Type.Object(
  {
    status: Type.Optional({ ...Status, examples: ['PENDING'] }),
    // the range (1-100, default 20) is checked by the service
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', examples: ['20'], ...saying('must be 1-100') })),
  },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object(
  {
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean({ description: 'check and say what would happen, change nothing' })),
  },
  {
    additionalProperties: false,
    examples: [
      { reason: 'Checked the delivery evidence and the ticket, INC-3104' },
      { reason: 'Amount does not match the ticket', dryRun: true },
    ],
  },
);

const APPROVAL = {
  id: '0190f0c8-0000-7000-8000-0000000000a1',
  escrowId: '0190f0c8-0000-7000-8000-000000000001',
  commandType: 'ReleaseEscrow',
  payload: { reason: 'Verified delivery, ticket INC-3104' },
  amount: '2500000',
  currency: 'USD',
  proposedBy: 'ops-alice',
  proposedRole: 'admin',
  reason: 'Verified delivery, ticket INC-3104',
  status: 'PENDING',
  decidedBy: null,
  decidedReason: null,
  decidedAt: null,
  expiresAt: '2026-12-03T10:00:00.000Z',
  commandId: '0190f0c8-0000-5000-8000-0000000000a2',
  result: null,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
};
const APPROVED = {
  ...APPROVAL,
  status: 'APPROVED',
  decidedBy: 'ops-bob',
  decidedReason: 'Checked the delivery evidence',
  decidedAt: '2026-12-02T10:20:00.000Z',
  updatedAt: '2026-12-02T10:20:00.000Z',
  result: { toStatus: 'RELEASED', version: 5, duplicate: false },
};

export const ApprovalView = Type.Object(
  {
    id: Uuid,
    escrowId: Uuid,
    commandType: CommandType,
    payload: Type.Record(Type.String(), Type.Unknown(), { description: "the proposer's command body, applied as is" }),
    amount: Type.String({ description: 'what the command moves out of holding, minor units' }),
    currency: Type.String(),
    proposedBy: Type.String({ description: 'the admin who proposed it (token subject, or cli:<user>)' }),
    proposedRole: Type.String(),
    reason: Type.String({ description: "the proposer's reason" }),
    status: Status,
    decidedBy: Nullable(Type.String()),
    decidedReason: Nullable(Type.String()),
    decidedAt: Nullable(Type.String()),
    expiresAt: Type.String(),
    commandId: Uuid,
    result: Nullable(Type.Record(Type.String(), Type.Unknown())),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { examples: [APPROVAL, APPROVED] },
);

/**
 * The 202 of POST /api/escrow/{id}/release, /refund and /dispute/{disputeId}/resolve: under dual control the proposal
 * (`approval`, status PENDING_APPROVAL), or in Kafka mode a command still on its way (`commandId`, status PENDING).
 */
export const PendingApprovalView = Type.Object(
  {
    status: Type.Union([Type.Literal('PENDING_APPROVAL'), Type.Literal('PENDING')]),
    approval: Type.Optional(ApprovalView),
    commandId: Type.Optional({ ...Uuid, description: 'Kafka mode: poll GET /api/commands/{id}' }),
  },
  {
    description:
      'Dual control: the amount is above ADMIN_APPROVAL_THRESHOLD of its currency, so nothing was applied; a second, ' +
      'different admin approves it (POST /api/admin/approvals/{id}/approve, escrow approvals approve <id>) within ' +
      'ADMIN_APPROVAL_TTL_HOURS. Retrying with the same Idempotency-Key answers the same proposal.',
    examples: [
      { approval: APPROVAL, status: 'PENDING_APPROVAL' },
      { commandId: '0190f0c8-0000-7000-8000-0000000000c1', status: 'PENDING' },
    ],
  },
);

export const ApprovalList = Type.Object(
  { items: Type.Array(ApprovalView, { description: 'newest first' }) },
  { examples: [{ items: [APPROVAL, APPROVED] }] },
);

const Events = Type.Array(Type.Object({ type: Type.String(), data: Type.Unknown() }));

export const ApprovalOutcomeView = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'true: what would happen; nothing was stored, applied or audited' }),
    approval: ApprovalView,
    escrow: Type.Optional({ ...EscrowView, description: 'approve: the escrow after the command (dry run: now)' }),
    events: Type.Optional({ ...Events, description: "an approve's dry run: the events the command would record" }),
    replayed: Type.Optional(Type.Boolean({ description: 'approved already: nothing was applied again' })),
  },
  {
    examples: [
      { dryRun: false, approval: APPROVED },
      { dryRun: true, approval: { ...APPROVAL, status: 'REJECTED' } },
    ],
  },
);

export const ActionDryRunBody = Type.Object(
  {
    command: Type.Union([...CommandType.anyOf, Type.Literal('CancelEscrow'), Type.Literal('ConfirmPayment')]),
    escrowId: Uuid,
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'the body the admin route would be sent' }),
  },
  {
    additionalProperties: false,
    examples: [
      { command: 'RefundEscrow', escrowId: APPROVAL.escrowId, payload: { refundAmount: '2500', reason: 'missing' } },
    ],
  },
);

export const ActionDryRunView = Type.Object(
  {
    dryRun: Type.Literal(true),
    escrowId: Uuid,
    command: Type.String(),
    events: { ...Events, description: 'what the command would record now, as the caller' },
    approval: Type.Object(
      {
        required: Type.Boolean({ description: 'dual control would hold it for a second admin (202)' }),
        amount: Type.Optional(Type.String()),
        currency: Type.Optional(Type.String()),
        threshold: Type.Optional(Type.String()),
      },
      { description: "whether it would wait for a second admin's approval instead of applying" },
    ),
  },
  {
    examples: [
      {
        dryRun: true,
        escrowId: APPROVAL.escrowId,
        command: 'ReleaseEscrow',
        events: [{ type: 'EscrowReleased', data: { reason: 'Verified delivery' } }],
        approval: { required: true, amount: '2500000', currency: 'USD', threshold: '1000000' },
      },
    ],
  },
);
