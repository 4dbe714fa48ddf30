import { Type, type Static } from 'typebox';
import {
  MAX_EVIDENCE_ITEMS,
  MAX_MILESTONES,
  METADATA_MAX_BYTES,
  METADATA_MAX_DEPTH,
  TEXT_MAX_LENGTH as MAX,
  type Rail as RailName,
} from '../../domain/index.js';
import { Currency, Evidence, Id, Minor, Rail, Text, Uuid, railOfNewEscrow, requiredWhen, strict } from './common.js';

/** Files uploaded to this escrow (POST /api/escrow/{id}/files), cited by id: the event records each one's SHA-256. */
export const FileIds = Type.Array(Uuid, {
  maxItems: MAX_EVIDENCE_ITEMS,
  description: 'ids of files uploaded to this escrow',
});
const KycTier = Type.Integer({
  minimum: 0,
  maximum: 100,
  description: "the party's KYC tier as the marketplace verified it (service and admin callers only)",
});
export const MilestoneInput = Type.Object(
  {
    title: Text(MAX.deliveryTitle, 1),
    amount: Minor,
    dueAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the seller means to deliver it' })),
  },
  { additionalProperties: false },
);
export const Milestones = Type.Array(MilestoneInput, {
  minItems: 1,
  maxItems: MAX_MILESTONES,
  description: 'the amount in parts, released one by one; amounts must add up to the amount exactly',
});

// Request bodies of the escrow commands (POST /api/escrow and its actions).

const createExample = {
  offerId: 'offer-1001',
  buyerId: 'buyer-1',
  sellerId: 'seller-1',
  rail: 'SANDBOX',
  currency: 'USD',
  amount: '10000',
};

export const CreateEscrowBody = Type.Object(
  {
    offerId: Id,
    contractId: Type.Optional(Id),
    buyerId: Id,
    sellerId: Id,
    rail: Rail,
    currency: Currency,
    amount: Minor,
    buyerFee: Type.Optional(Minor),
    sellerFee: Type.Optional(Minor),
    milestones: Type.Optional(Milestones),
    buyerKycTier: Type.Optional(KycTier),
    sellerKycTier: Type.Optional(KycTier),
    metadata: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: true,
          description: `any JSON object: at most ${METADATA_MAX_BYTES / 1024} KB as JSON and ${METADATA_MAX_DEPTH} levels deep`,
        },
      ),
    ),
  },
  { additionalProperties: false, examples: [createExample] },
);
export type CreateEscrowBody = Static<typeof CreateEscrowBody>;

/** The create body of this installation: `rail` documents the enabled rails (from the rails registry and config). */
export function createEscrowBodyFor(rails: readonly RailName[]) {
  if (rails.length === 0) return CreateEscrowBody;
  const { rail: _all, ...properties } = CreateEscrowBody.properties;
  return Type.Object(
    { ...properties, rail: railOfNewEscrow(rails) },
    { additionalProperties: false, examples: [{ ...createExample, rail: rails[0] }] },
  );
}

export const CancelBody = strict({ reason: Type.Optional(Text(MAX.reason)) }, { reason: 'Buyer changed their mind' });
/** What the admin received: a match funds the escrow, anything else is booked to suspense (the webhook's rules). */
export const ConfirmPaymentBody = strict(
  {
    transactionId: Text(MAX.transactionId, 1),
    evidence: Text(MAX.paymentEvidence, 1),
    // the amount received: exactly amount + buyer fee funds the escrow
    amount: Minor,
    currency: Type.String({ pattern: '^[A-Z]{3,5}$', description: 'the currency received', examples: ['USD'] }),
  },
  { transactionId: 'wire-2026-11-23-0042', evidence: 'Bank statement line 14', amount: '10000', currency: 'USD' },
);
/** Why money leaves suspense, or the review flag is cleared: mandatory, kept in the event and the audit log. */
export const SuspenseRefundBody = strict(
  { reason: Text(MAX.reason, 1) },
  { reason: 'Buyer paid in the wrong currency; refunded' },
);
export const SuspenseApplyBody = strict(
  {
    reason: Text(MAX.reason, 1),
    alsoApply: Type.Optional(
      Type.Array(Uuid, { maxItems: 20, description: 'other open suspense items of the same escrow (e.g. a top-up)' }),
    ),
  },
  { reason: 'Buyer topped up; both transfers confirmed', alsoApply: ['0190f0c8-0000-7000-8000-0000000005a2'] },
);
export const ClearFlagBody = strict(
  { reason: Text(MAX.reason, 1) },
  { reason: 'Reviewed: the stray payment was refunded' },
);
export const MarkDeliveredBody = strict(
  {
    title: Text(MAX.deliveryTitle, 1),
    description: Type.Optional(Text(MAX.description)),
    evidence: Type.Optional(Evidence),
    fileIds: Type.Optional(FileIds),
  },
  { title: 'Account credentials sent', evidence: ['https://files.example/delivery-1.png'] },
);
export const EmptyBody = Type.Object({}, { additionalProperties: false, examples: [{}] });
export const ReleaseBody = strict({ reason: Type.Optional(Text(MAX.reason)) }, { reason: 'Verified delivery' });
export const RefundBody = strict(
  { refundAmount: Type.Optional(Minor), reason: Text(MAX.reason, 1) },
  { refundAmount: '2500', reason: 'One item missing' },
);
export const DisputeBody = strict(
  {
    reason: Text(MAX.disputeReason, 1),
    description: Type.Optional(Text(MAX.description)),
    evidence: Type.Optional(Evidence),
    fileIds: Type.Optional(FileIds),
    milestoneId: Type.Optional(Uuid),
  },
  { reason: 'Not as described', description: 'The account was banned', evidence: ['https://files.example/ban.png'] },
);
export const DisputeEvidenceBody = strict(
  {
    statement: Type.Optional(Text(MAX.description)),
    evidence: Type.Optional(Evidence),
    fileIds: Type.Optional(FileIds),
  },
  {
    statement: 'The account worked when handed over: login log attached',
    fileIds: ['0190f0c8-0000-7000-8000-0000000000f2'],
  },
);
export const DefineMilestonesBody = strict(
  { milestones: Milestones },
  {
    milestones: [
      { title: 'Design', amount: '4000', dueAt: '2026-12-15T17:00:00Z' },
      { title: 'Build', amount: '6000' },
    ],
  },
);
export const DeliverMilestoneBody = strict(
  {
    title: Text(MAX.deliveryTitle, 1),
    description: Type.Optional(Text(MAX.description)),
    evidence: Type.Optional(Evidence),
    fileIds: Type.Optional(FileIds),
  },
  { title: 'Design mock-ups delivered', evidence: ['https://files.example/mockups.pdf'] },
);
export const ReleaseMilestoneBody = strict({ reason: Type.Optional(Text(MAX.reason)) }, { reason: 'Looks great' });
export const ResolveBody = Type.Object(
  {
    resolution: Type.Union([Type.Literal('RELEASE'), Type.Literal('REFUND'), Type.Literal('SPLIT')]),
    buyerAmount: Type.Optional(Minor),
    reason: Text(MAX.reason, 1),
  },
  {
    additionalProperties: false,
    examples: [{ resolution: 'SPLIT', buyerAmount: '4000', reason: 'Partial delivery' }],
    ...requiredWhen('resolution', { RELEASE: [], REFUND: [], SPLIT: ['buyerAmount'] }),
  },
);
export const TimeoutsBody = strict({ dryRun: Type.Optional(Type.Boolean()) }, { dryRun: true });
