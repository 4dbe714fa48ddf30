import { Type } from 'typebox';
import { Iso, Minor, Nullable, Rail, Status, Uuid } from './common.js';

// What GET /api/escrow answers: the escrow with its deliveries, disputes and settlements, and optionally its events,
// ledger postings and audit trail.

/** A stored file an event cites, with the SHA-256 of its content as uploaded. */
export const FileRefView = Type.Object({
  fileId: Uuid,
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  fileName: Type.String(),
});
const Delivery = Type.Object({
  id: Uuid,
  milestoneId: Nullable(Uuid),
  title: Type.String(),
  description: Nullable(Type.String()),
  evidence: Type.Array(Type.String()),
  files: Type.Array(FileRefView),
  deliveredBy: Type.String(),
  createdAt: Iso,
});
const Submission = Type.Object({
  by: Type.String(),
  statement: Nullable(Type.String()),
  evidence: Type.Array(Type.String()),
  files: Type.Array(FileRefView),
  at: Iso,
});
export const MilestoneView = Type.Object({
  id: Uuid,
  position: Type.Integer(),
  title: Type.String(),
  amount: Minor,
  buyerFee: Minor,
  sellerFee: Minor,
  dueAt: Nullable(Iso),
  status: Type.String({ examples: ['PENDING'] }),
  deliveredAt: Nullable(Iso),
  confirmBy: Nullable(Iso),
  sellerAmount: Minor,
  buyerAmount: Minor,
  feeAmount: Minor,
  resolvedAt: Nullable(Iso),
});
/** The vault as anyone but the revealing buyer sees it: what it holds, never the secret. */
export const VaultView = Type.Object({
  kind: Type.String({ examples: ['CREDENTIALS'] }),
  file: Nullable(FileRefView),
  fingerprint: Type.String(),
  revision: Type.Integer(),
  setBy: Type.String(),
  setAt: Iso,
  firstRevealedAt: Nullable(Iso),
  revealCount: Type.Integer(),
});
export const DisputeView = Type.Object(
  {
    id: Uuid,
    milestoneId: Nullable(Uuid),
    openedBy: Type.String(),
    reason: Type.String(),
    description: Nullable(Type.String()),
    evidence: Type.Array(Type.String()),
    files: Type.Array(FileRefView),
    respondBy: Iso,
    slaDueAt: Iso,
    submissions: Type.Array(Submission),
    status: Type.String({ examples: ['OPEN'] }),
    reviewerId: Nullable(Type.String()),
    resolution: Nullable(Type.String()),
    buyerAmount: Nullable(Minor),
    resolutionReason: Nullable(Type.String()),
    createdAt: Iso,
    resolvedAt: Nullable(Iso),
  },
  {
    examples: [
      {
        id: '0190f0c8-0000-7000-8000-0000000000d1',
        milestoneId: null,
        openedBy: 'buyer-1',
        reason: 'Not as described',
        description: 'The account was banned',
        evidence: ['https://files.example/ban.png'],
        files: [
          {
            fileId: '0190f0c8-0000-7000-8000-0000000000f1',
            sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
            fileName: 'ban-screenshot.png',
          },
        ],
        respondBy: '2026-11-26T10:00:00.000Z',
        slaDueAt: '2026-11-30T10:00:00.000Z',
        submissions: [],
        status: 'OPEN',
        reviewerId: null,
        resolution: null,
        buyerAmount: null,
        resolutionReason: null,
        createdAt: '2026-11-23T10:00:00.000Z',
        resolvedAt: null,
      },
    ],
  },
);
const Settlement = Type.Object({
  id: Uuid,
  kind: Type.String({ examples: ['PAYOUT'] }),
  amount: Minor,
  currency: Type.String(),
  beneficiaryId: Type.String(),
  status: Type.String({ examples: ['PENDING'] }),
  providerReference: Nullable(Type.String()),
  failureReason: Nullable(Type.String()),
  createdAt: Iso,
  completedAt: Nullable(Iso),
});
const Payment = Type.Object(
  {
    reference: Type.String(),
    payUrl: Type.Optional(Type.String()),
    clientSecret: Type.Optional(Type.String()),
    depositAddress: Type.Optional(Type.String()),
  },
  {
    examples: [
      {
        reference: 'sbx_0190f0c800007000800000000000000a',
        payUrl: 'http://localhost:3000/api/sandbox/payments/sbx_0190f0c800007000800000000000000a/succeed',
      },
    ],
  },
);

const SuspenseItemFields = {
  id: Uuid,
  amount: Minor,
  currency: Type.String(),
  transactionId: Type.String(),
  providerEventId: Nullable(Type.String()),
  source: Type.String({ examples: ['WEBHOOK'] }),
  reason: Type.String({ examples: ['AMOUNT_MISMATCH'] }),
  status: Type.String({ examples: ['OPEN'] }),
  receivedAt: Iso,
  resolvedAt: Nullable(Iso),
  resolvedBy: Nullable(Type.String()),
  resolutionReason: Nullable(Type.String()),
  settlementId: Nullable(Uuid),
};
const suspenseExample = {
  id: '0190f0c8-0000-7000-8000-0000000005a1',
  amount: '9000',
  currency: 'USD',
  transactionId: 'sbx_txn_41',
  providerEventId: 'evt_41',
  source: 'WEBHOOK',
  reason: 'AMOUNT_MISMATCH',
  status: 'OPEN',
  receivedAt: '2026-11-23T10:05:00.000Z',
  resolvedAt: null,
  resolvedBy: null,
  resolutionReason: null,
  settlementId: null,
};
/** Money received for the escrow that funds nothing, until refunded to the buyer or applied to the escrow. */
const SuspenseItem = Type.Object(SuspenseItemFields, { examples: [suspenseExample] });

/** GET /api/admin/suspense: items with their escrow, and what the suspense account holds per currency. */
export const SuspenseList = Type.Object(
  {
    data: Type.Array(
      Type.Object({
        ...SuspenseItemFields,
        escrowId: Uuid,
        escrowStatus: Status,
        rail: Rail,
        buyerId: Type.String(),
      }),
    ),
    nextCursor: Nullable(Type.String()),
    openTotals: Type.Array(Type.Object({ currency: Type.String(), amount: Minor, items: Type.Integer() })),
  },
  {
    examples: [
      {
        data: [
          {
            ...suspenseExample,
            escrowId: '0190f0c8-0000-7000-8000-00000000000a',
            escrowStatus: 'AWAIT_FUNDS',
            rail: 'SANDBOX',
            buyerId: 'buyer-1',
          },
        ],
        nextCursor: null,
        openTotals: [{ currency: 'USD', amount: '9000', items: 1 }],
      },
    ],
  },
);

export const EscrowView = Type.Object(
  {
    id: Uuid,
    offerId: Type.String(),
    contractId: Nullable(Type.String()),
    buyerId: Type.String(),
    sellerId: Type.String(),
    rail: Rail,
    currency: Type.String(),
    amount: Minor,
    buyerFee: Minor,
    sellerFee: Minor,
    status: Status,
    version: Type.Integer(),
    expiresAt: Iso,
    autoRefundAt: Nullable(Iso),
    metadata: Type.Object({}, { additionalProperties: true }),
    payment: Payment,
    fundedAmount: Minor,
    releasedAmount: Minor,
    refundedAmount: Minor,
    feeAmount: Minor,
    fundingTransactionId: Nullable(Type.String()),
    refundType: Nullable(Type.String()),
    cancelReason: Nullable(Type.String()),
    flaggedForReview: Type.Boolean(),
    createdAt: Iso,
    updatedAt: Iso,
    deliveries: Type.Array(Delivery),
    disputes: Type.Array(DisputeView),
    settlements: Type.Array(Settlement),
    suspense: Type.Array(SuspenseItem),
    milestones: Type.Array(MilestoneView),
    vault: Nullable(VaultView),
  },
  {
    examples: [
      {
        id: '0190f0c8-0000-7000-8000-00000000000a',
        offerId: 'offer-1001',
        contractId: null,
        buyerId: 'buyer-1',
        sellerId: 'seller-1',
        rail: 'SANDBOX',
        currency: 'USD',
        amount: '10000',
        buyerFee: '0',
        sellerFee: '0',
        status: 'AWAIT_FUNDS',
        version: 1,
        expiresAt: '2026-11-30T10:00:00.000Z',
        autoRefundAt: null,
        metadata: {},
        payment: { reference: 'sbx_0190f0c800007000800000000000000a' },
        fundedAmount: '0',
        releasedAmount: '0',
        refundedAmount: '0',
        feeAmount: '0',
        fundingTransactionId: null,
        refundType: null,
        cancelReason: null,
        flaggedForReview: false,
        createdAt: '2026-11-23T10:00:00.000Z',
        updatedAt: '2026-11-23T10:00:00.000Z',
        deliveries: [],
        disputes: [],
        settlements: [],
        suspense: [],
        milestones: [],
        vault: null,
      },
    ],
  },
);

const EventView = Type.Object({
  eventId: Uuid,
  type: Type.String(),
  escrowId: Uuid,
  sequence: Type.Integer(),
  occurredAt: Iso,
  correlationId: Nullable(Type.String()),
  causationId: Nullable(Type.String()),
  actor: Type.Object({ id: Type.String(), role: Type.String() }),
  schemaVersion: Type.Integer(),
  commandId: Uuid,
  data: Type.Object({}, { additionalProperties: true }),
});
const LedgerView = Type.Object({
  transactionId: Uuid,
  account: Type.String(),
  amount: Type.String({ pattern: '^-?[0-9]+$' }),
  currency: Type.String(),
  createdAt: Iso,
});
const AuditView = Type.Object({
  id: Type.String(),
  actorId: Type.String(),
  actorRole: Type.String(),
  action: Type.String(),
  commandId: Nullable(Type.String()),
  fromStatus: Nullable(Type.String()),
  toStatus: Nullable(Type.String()),
  details: Type.Object({}, { additionalProperties: true }),
  createdAt: Iso,
});
export const EscrowDetailsView = Type.Object(
  {
    ...EscrowView.properties,
    events: Type.Optional(Type.Array(EventView)),
    ledger: Type.Optional(Type.Array(LedgerView)),
    audit: Type.Optional(Type.Array(AuditView)),
  },
  { examples: (EscrowView as unknown as { examples: unknown[] }).examples },
);
export const EscrowList = Type.Object(
  { data: Type.Array(EscrowView), nextCursor: Nullable(Type.String()) },
  {
    examples: [
      {
        data: (EscrowView as unknown as { examples: unknown[] }).examples,
        nextCursor: 'WyIyMDI2LTExLTIzVDEwOjAwOjAwLjAwMFoiLCIwMTkwZjBjOC0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMGEiXQ',
      },
    ],
  },
);
