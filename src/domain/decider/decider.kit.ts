// Shared by the decider's tests; runs no tests itself. Named *.test.ts so the build leaves it (and the test fixtures
// it imports) out of dist.
import {
  AUTO_REFUND_AT,
  BUYER_ID,
  DISPUTE_ID,
  NOW,
  SELLER_ID,
  createCommand,
  givenEscrow,
  histories,
  type ActorName,
} from '../../../test/domainFixtures.js';
import type { CommandType, EscrowCommand } from '../commands.js';
import { addDays } from '../decider.js';
import type { SettlementData } from '../events.js';
import { evolve } from '../evolve.js';
import type { Escrow, EscrowStatus } from '../types.js';

/** For inputs the types forbid but the wire can carry. */
export const untyped = <T>(value: unknown): T => value as T;
export type CreateOverrides = Parameters<typeof createCommand>[0];

export const inStatus = (status: EscrowStatus): Escrow => givenEscrow(histories[status]());

/** The suspense item stateFor() books: exactly what the fixture escrow is owed (amount + buyer fee). */
export const SUSPENSE_ID = '0190f0c8-0000-7000-8000-0000000005a1';

/**
 * The escrow in `status` as a command of `type` needs it: suspense commands find an OPEN suspense item (a payment
 * of exactly what is due, booked as a second transaction) and ClearReviewFlag a flagged escrow.
 */
export function stateFor(type: CommandType, status: EscrowStatus): Escrow {
  const e = inStatus(status);
  const at = { occurredAt: NOW, actorId: 'webhook:sandbox', escrowId: e.id };
  if (type === 'RefundSuspense' || type === 'ApplySuspense') {
    return evolve(e, {
      ...at,
      type: 'SuspenseBooked',
      data: {
        suspenseId: SUSPENSE_ID,
        amount: (e.amount + e.buyerFee).toString(),
        currency: e.currency,
        transactionId: 'stray-tx-1',
        providerEventId: 'evt-stray-1',
        source: 'WEBHOOK',
        reason: 'AMOUNT_MISMATCH',
      },
    });
  }
  if (type === 'ClearReviewFlag') {
    return evolve(e, { ...at, type: 'EscrowFlaggedForReview', data: { reason: 'RISK', detail: null } });
  }
  if (type === 'DeliverMilestone' || type === 'ReleaseMilestone') {
    // a milestone escrow: two parts of the fixture's 100.00, the first delivered for ReleaseMilestone
    const defined = evolve(e, { ...at, type: 'MilestonesDefined', data: { milestones: MILESTONES } });
    if (type === 'DeliverMilestone') return defined;
    return evolve(defined, {
      ...at,
      actorId: SELLER_ID,
      type: 'MilestoneDelivered',
      data: {
        milestoneId: MILESTONE_ID,
        deliveryId: 'delivery-m1',
        title: 'Design',
        description: null,
        evidence: [],
        files: [],
        confirmBy: AUTO_REFUND_AT,
        autoRefundAt: AUTO_REFUND_AT,
      },
    });
  }
  if (type === 'RevealVault') {
    return evolve(e, {
      ...at,
      actorId: SELLER_ID,
      type: 'VaultSet',
      data: { kind: 'CREDENTIALS', file: null, fingerprint: FINGERPRINT, revision: 1 },
    });
  }
  return e;
}

export const MILESTONE_ID = 'milestone-1';
export const FINGERPRINT = 'ab'.repeat(32);
/** The fixture's amount (10000) and fees (buyer 320, seller 50) in two parts. */
export const MILESTONES = [
  {
    milestoneId: MILESTONE_ID,
    position: 1,
    title: 'Design',
    amount: '4000',
    buyerFee: '128',
    sellerFee: '20',
    dueAt: null,
  },
  {
    milestoneId: 'milestone-2',
    position: 2,
    title: 'Build',
    amount: '6000',
    buyerFee: '192',
    sellerFee: '30',
    dueAt: null,
  },
];
export const LATE = addDays(NOW, 30);

export const payoutData = (amount: string, id = '1-settlement:payout'): SettlementData => ({
  id,
  kind: 'PAYOUT',
  amount,
  currency: 'USD',
  beneficiaryId: SELLER_ID,
});
export const refundData = (amount: string, id = '1-settlement:refund'): SettlementData => ({
  id,
  kind: 'REFUND',
  amount,
  currency: 'USD',
  beneficiaryId: BUYER_ID,
});

// ---------------------------------------------------------------------------------------------------------------------
// The whole table: every status × every command, with a caller who may issue it and a valid payload.

export interface ValidCommand {
  actor: ActorName;
  command: EscrowCommand;
  now?: string;
  /** Where the command is accepted (for the actor table). */
  home: EscrowStatus | null;
  /** Who may issue it, among buyer, seller, service, admin, system. */
  allowed: readonly ActorName[];
}

/** A valid command of each type; settlement commands name the escrow's first settlement. */
const VALID: { [T in CommandType]: (settlementId: string, suspenseId: string) => ValidCommand } = {
  CreateEscrow: () => ({
    actor: 'buyer',
    command: createCommand(),
    home: null,
    allowed: ['buyer', 'seller', 'service', 'admin'],
  }),
  CancelEscrow: () => ({
    actor: 'buyer',
    command: { type: 'CancelEscrow' },
    home: 'AWAIT_FUNDS',
    allowed: ['buyer', 'seller', 'admin'],
  }),
  ConfirmPayment: () => ({
    actor: 'admin',
    command: {
      type: 'ConfirmPayment',
      transactionId: 'manual-1',
      evidence: 'bank statement',
      amount: '10320',
      currency: 'USD',
    },
    home: 'AWAIT_FUNDS',
    allowed: ['admin'],
  }),
  ReceivePayment: () => ({
    actor: 'system',
    command: {
      type: 'ReceivePayment',
      providerEventId: 'evt-9',
      transactionId: 'tx-9',
      amount: '10320',
      currency: 'USD',
    },
    home: 'AWAIT_FUNDS',
    allowed: ['system'],
  }),
  RecordPaymentFailure: () => ({
    actor: 'system',
    command: { type: 'RecordPaymentFailure', providerEventId: 'evt-8', reason: 'card declined' },
    home: 'AWAIT_FUNDS',
    allowed: ['system'],
  }),
  MarkDelivered: () => ({
    actor: 'seller',
    command: { type: 'MarkDelivered', title: 'Delivered' },
    home: 'FUNDS_HELD',
    allowed: ['seller', 'admin'],
  }),
  ConfirmDelivery: () => ({
    actor: 'buyer',
    command: { type: 'ConfirmDelivery' },
    home: 'DELIVERED',
    allowed: ['buyer'],
  }),
  ReleaseEscrow: () => ({ actor: 'admin', command: { type: 'ReleaseEscrow' }, home: 'DELIVERED', allowed: ['admin'] }),
  RefundEscrow: () => ({
    actor: 'admin',
    command: { type: 'RefundEscrow', reason: 'goodwill' },
    home: 'FUNDS_HELD',
    allowed: ['seller', 'admin'],
  }),
  OpenDispute: () => ({
    actor: 'buyer',
    command: { type: 'OpenDispute', reason: 'not received' },
    home: 'FUNDS_HELD',
    allowed: ['buyer', 'seller'],
  }),
  StartDisputeReview: () => ({
    actor: 'admin',
    command: { type: 'StartDisputeReview', disputeId: DISPUTE_ID },
    home: 'DISPUTED',
    allowed: ['admin'],
  }),
  ResolveDispute: () => ({
    actor: 'admin',
    command: { type: 'ResolveDispute', disputeId: DISPUTE_ID, resolution: 'RELEASE', reason: 'delivered as agreed' },
    home: 'DISPUTED',
    allowed: ['admin'],
  }),
  ExpireEscrow: () => ({
    actor: 'system',
    command: { type: 'ExpireEscrow' },
    now: LATE,
    home: 'AWAIT_FUNDS',
    allowed: ['system', 'admin'],
  }),
  ApplyDeliveryTimeout: () => ({
    actor: 'system',
    command: { type: 'ApplyDeliveryTimeout', action: 'REFUND' },
    now: LATE,
    home: 'DELIVERED',
    allowed: ['system', 'admin'],
  }),
  RecordSettlementResult: (settlementId) => ({
    actor: 'system',
    command: { type: 'RecordSettlementResult', settlementId, outcome: 'SUCCEEDED' },
    home: 'RELEASED',
    allowed: ['system'],
  }),
  RetrySettlement: (settlementId) => ({
    actor: 'admin',
    command: { type: 'RetrySettlement', settlementId },
    home: 'RELEASED',
    allowed: ['admin'],
  }),
  RefundSuspense: (_s, suspenseId) => ({
    actor: 'admin',
    command: { type: 'RefundSuspense', suspenseId, reason: 'paid twice' },
    home: 'FUNDS_HELD',
    allowed: ['admin'],
  }),
  ApplySuspense: (_s, suspenseId) => ({
    actor: 'admin',
    command: { type: 'ApplySuspense', suspenseIds: [suspenseId], reason: 'the amount was right' },
    home: 'AWAIT_FUNDS',
    allowed: ['admin'],
  }),
  ClearReviewFlag: () => ({
    actor: 'admin',
    command: { type: 'ClearReviewFlag', reason: 'reviewed' },
    home: 'FUNDS_HELD',
    allowed: ['admin'],
  }),
  RecordChargeback: () => ({
    actor: 'system',
    command: {
      type: 'RecordChargeback',
      providerEventId: 'evt_dp_1',
      reason: 'fraudulent',
      amount: '10320',
      currency: 'usd',
    },
    home: 'FUNDS_HELD',
    allowed: ['system'],
  }),
  FlagEscrow: () => ({
    actor: 'system',
    command: { type: 'FlagEscrow', reason: 'TRANSFER_REVERSED', detail: 'the payout was reversed at the provider' },
    home: 'RELEASED',
    allowed: ['system', 'admin'],
  }),
  AddDisputeEvidence: () => ({
    actor: 'seller',
    command: { type: 'AddDisputeEvidence', disputeId: DISPUTE_ID, statement: 'the account works: see the log' },
    home: 'DISPUTED',
    allowed: ['buyer', 'seller'],
  }),
  DefineMilestones: () => ({
    actor: 'buyer',
    command: {
      type: 'DefineMilestones',
      milestones: [
        { title: 'Design', amount: '4000' },
        { title: 'Build', amount: '6000', dueAt: '2025-02-01T00:00:00Z' },
      ],
    },
    home: 'AWAIT_FUNDS',
    allowed: ['buyer', 'service', 'admin'],
  }),
  DeliverMilestone: () => ({
    actor: 'seller',
    command: { type: 'DeliverMilestone', milestoneId: MILESTONE_ID, title: 'Design delivered' },
    home: 'FUNDS_HELD',
    allowed: ['seller', 'admin'],
  }),
  ReleaseMilestone: () => ({
    actor: 'buyer',
    command: { type: 'ReleaseMilestone', milestoneId: MILESTONE_ID },
    home: 'FUNDS_HELD',
    allowed: ['buyer', 'admin'],
  }),
  SetVault: () => ({
    actor: 'seller',
    command: { type: 'SetVault', kind: 'LICENSE_KEY', fingerprint: FINGERPRINT },
    home: 'FUNDS_HELD',
    allowed: ['seller'],
  }),
  RevealVault: () => ({
    actor: 'buyer',
    command: { type: 'RevealVault' },
    home: 'FUNDS_HELD',
    allowed: ['buyer'],
  }),
};

export function validFor(type: CommandType, s: Escrow | null): ValidCommand {
  return VALID[type](s?.settlements[0]?.id ?? 'no-settlement', s?.suspense[0]?.id ?? 'no-suspense');
}
