// The property test's scenarios (escrow.property.unit.test.ts): who issues each step, the moves that make progress
// from each status, and how a step becomes a command for the escrow it meets. Runs no tests itself.
import fc from 'fast-check';
import { BUYER_ID, SELLER_ID, actors, type ActorName } from '../../test/domainFixtures.js';
import type { EscrowCommand } from './commands.js';
import { DAY, HOUR, HUGE_METADATA, amountFor, specArb, validCreate, type Spec } from './escrow.property.specs.kit.js';
import { TERMINAL, type Escrow, type EscrowStatus, type Rail } from './types.js';

/** Who would normally issue each command; a step uses one of these most of the time and anyone otherwise. */
const USUAL: Record<Spec['type'], readonly ActorName[]> = {
  CreateEscrow: ['buyer', 'seller', 'service', 'admin'],
  CancelEscrow: ['buyer', 'seller', 'admin'],
  ConfirmPayment: ['admin'],
  ReceivePayment: ['system'],
  RecordPaymentFailure: ['system'],
  MarkDelivered: ['seller', 'admin'],
  ConfirmDelivery: ['buyer'],
  ReleaseEscrow: ['admin'],
  RefundEscrow: ['admin', 'seller'],
  OpenDispute: ['buyer', 'seller'],
  StartDisputeReview: ['admin'],
  ResolveDispute: ['admin'],
  ExpireEscrow: ['system', 'admin'],
  ApplyDeliveryTimeout: ['system', 'admin'],
  RecordSettlementResult: ['system'],
  RetrySettlement: ['admin'],
  RefundSuspense: ['admin'],
  ApplySuspense: ['admin'],
  ClearReviewFlag: ['admin'],
};
const ALL_ACTORS = Object.keys(actors) as ActorName[];

/**
 * The moves that make progress from each status, so that sequences get past funding into deliveries, disputes and
 * settlements instead of spending their steps on rejected commands.
 */
const PROGRESS: Record<EscrowStatus | 'NONE', readonly [ActorName, Spec][]> = {
  NONE: [
    [
      'service',
      {
        type: 'CreateEscrow',
        rail: 'STRIPE',
        currency: 'USD',
        amount: '10000',
        sameParties: false,
        hugeMetadata: false,
      },
    ],
  ],
  AWAIT_FUNDS: [
    ['system', { type: 'ReceivePayment', tx: 'tx-1', amount: 'paid', currency: 'same' }],
    ['system', { type: 'ReceivePayment', tx: 'tx-2', amount: 'paid', currency: 'same' }],
    ['admin', { type: 'ConfirmPayment', tx: 'tx-3', evidence: 'bank statement', amount: 'paid', currency: 'same' }],
    ['admin', { type: 'ConfirmPayment', tx: 'tx-2', evidence: 'bank statement', amount: 'half', currency: 'same' }],
    ['system', { type: 'ReceivePayment', tx: 'tx-1', amount: 'rest', currency: 'same' }],
    ['admin', { type: 'ApplySuspense', items: [0, 1], reason: 'the buyer topped up' }],
    ['admin', { type: 'ApplySuspense', items: [0, 1], reason: 'the buyer topped up' }],
    ['system', { type: 'ReceivePayment', tx: 'tx-1', amount: 'principal', currency: 'same' }],
    ['buyer', { type: 'CancelEscrow' }],
    ['system', { type: 'ExpireEscrow' }],
  ],
  FUNDS_HELD: [
    ['seller', { type: 'MarkDelivered', title: 'Done', evidenceCount: 1 }],
    ['seller', { type: 'MarkDelivered', title: 'Done', evidenceCount: 0 }],
    ['admin', { type: 'RefundEscrow', amount: 'half', reason: 'goodwill' }],
    ['seller', { type: 'RefundEscrow', reason: 'cannot deliver' }],
    ['buyer', { type: 'OpenDispute', reason: 'late' }],
    ['system', { type: 'ReceivePayment', tx: 'tx-2', amount: 'paid', currency: 'same' }],
    ['admin', { type: 'RefundSuspense', item: 0, reason: 'paid twice' }],
    ['admin', { type: 'ClearReviewFlag', reason: 'reviewed' }],
  ],
  DELIVERED: [
    ['buyer', { type: 'ConfirmDelivery' }],
    ['admin', { type: 'ReleaseEscrow' }],
    ['admin', { type: 'RefundEscrow', amount: 'one', reason: 'scratch' }],
    ['seller', { type: 'OpenDispute', reason: 'buyer silent' }],
    ['system', { type: 'ApplyDeliveryTimeout', action: 'REFUND' }],
    ['system', { type: 'ApplyDeliveryTimeout', action: 'RELEASE' }],
  ],
  DISPUTED: [
    ['admin', { type: 'StartDisputeReview', dispute: 'last' }],
    ['admin', { type: 'ResolveDispute', dispute: 'last', resolution: 'RELEASE', reason: 'ruling' }],
    ['admin', { type: 'ResolveDispute', dispute: 'last', resolution: 'REFUND', reason: 'ruling' }],
    ['admin', { type: 'ResolveDispute', dispute: 'last', resolution: 'SPLIT', buyerAmount: 'half', reason: 'ruling' }],
  ],
  RELEASED: [],
  REFUNDED: [],
  CANCELLED: [
    ['system', { type: 'ReceivePayment', tx: 'tx-3', amount: 'paid', currency: 'same' }],
    ['admin', { type: 'RefundSuspense', item: 0, reason: 'paid after cancelling' }],
  ],
};
/**
 * An unfunded escrow with money in suspense (a part payment) is most often topped up and applied, so that runs reach
 * SuspenseApplied (which needs part, rest, apply in that order) often enough that a generator change cannot hide it.
 */
const TOPPING_UP: readonly [ActorName, Spec][] = [
  ['system', { type: 'ReceivePayment', tx: 'tx-1', amount: 'rest', currency: 'same' }],
  ['admin', { type: 'ApplySuspense', items: [0, 1], reason: 'the buyer topped up' }],
  ['admin', { type: 'ApplySuspense', items: [0, 1], reason: 'the buyer topped up' }],
];
const SETTLING: readonly [ActorName, Spec][] = [
  ['system', { type: 'RecordSettlementResult', settlement: 0, outcome: 'SUCCEEDED' }],
  ['system', { type: 'RecordSettlementResult', settlement: 1, outcome: 'SUCCEEDED' }],
  ['system', { type: 'RecordSettlementResult', settlement: 0, outcome: 'FAILED', reason: 'account closed' }],
  ['system', { type: 'RecordSettlementResult', settlement: 1, outcome: 'FAILED' }],
  ['admin', { type: 'RetrySettlement', settlement: 0 }],
  ['admin', { type: 'RetrySettlement', settlement: 1 }],
];

export interface Step {
  /** When set, the step makes progress from whatever status the escrow is in (PROGRESS), using `pick`. */
  progress: boolean;
  pick: number;
  actor: ActorName;
  advanceMs: number;
  spec: Spec;
}

const stepArb: fc.Arbitrary<Step> = fc
  .record({
    spec: specArb,
    progress: fc.boolean(),
    usual: fc.nat({ max: 9 }),
    pick: fc.nat({ max: 1000 }),
    advanceMs: fc.constantFrom(0, 0, HOUR, 3 * DAY, 8 * DAY),
  })
  .map(({ spec, progress, usual, pick, advanceMs }) => {
    const pool = usual < 7 ? USUAL[spec.type] : ALL_ACTORS;
    return { progress, pick, actor: pool[pick % pool.length] ?? 'stranger', advanceMs, spec };
  });

/** The actor and spec a step stands for, given the escrow it meets. */
export function resolveStep(step: Step, s: Escrow | null): [ActorName, Spec] {
  if (!step.progress) return [step.actor, step.spec];
  const moves =
    s === null
      ? PROGRESS.NONE
      : TERMINAL.has(s.status)
        ? [...PROGRESS[s.status], ...SETTLING]
        : s.status === 'AWAIT_FUNDS' && s.suspense.some((x) => x.status === 'OPEN')
          ? [...TOPPING_UP, ...PROGRESS.AWAIT_FUNDS]
          : PROGRESS[s.status];
  return moves[step.pick % moves.length] ?? [step.actor, step.spec];
}

export const scenarioArb = fc.record({
  first: fc.option(validCreate, { freq: 10, nil: undefined }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30, size: 'max' }),
});

export function toCommand(spec: Spec, s: Escrow | null): EscrowCommand {
  const disputeId = (ref: 'last' | 'first' | 'nope') =>
    ref === 'nope' ? 'no-such-dispute' : ((ref === 'last' ? s?.disputes.at(-1) : s?.disputes[0])?.id ?? 'none-yet');
  const settlementId = (i: number) => s?.settlements[i]?.id ?? `no-such-settlement-${i}`;
  const suspenseId = (i: number) => s?.suspense[i]?.id ?? `no-such-suspense-${i}`;
  switch (spec.type) {
    case 'CreateEscrow':
      return {
        type: 'CreateEscrow',
        offerId: 'offer-1',
        buyerId: BUYER_ID,
        sellerId: spec.sameParties ? BUYER_ID : SELLER_ID,
        rail: spec.rail as Rail,
        currency: spec.currency,
        amount: spec.amount,
        ...(spec.buyerFee === undefined ? {} : { buyerFee: spec.buyerFee }),
        ...(spec.sellerFee === undefined ? {} : { sellerFee: spec.sellerFee }),
        ...(spec.hugeMetadata ? { metadata: HUGE_METADATA } : {}),
        payment: { reference: 'ref-1' },
      };
    case 'CancelEscrow':
    case 'ReleaseEscrow':
      return spec.reason === undefined ? { type: spec.type } : { type: spec.type, reason: spec.reason };
    case 'ConfirmPayment':
      return {
        type: 'ConfirmPayment',
        transactionId: spec.tx,
        evidence: spec.evidence,
        amount: amountFor(spec.amount, s),
        currency: spec.currency === 'same' ? (s?.currency ?? 'USD') : spec.currency,
      };
    case 'ReceivePayment':
      return {
        type: 'ReceivePayment',
        providerEventId: `evt-${spec.tx}`,
        transactionId: spec.tx,
        amount: amountFor(spec.amount, s),
        currency: spec.currency === 'same' ? (s?.currency ?? 'USD') : spec.currency,
      };
    case 'RecordPaymentFailure':
      return { type: 'RecordPaymentFailure', providerEventId: 'evt-f', transactionId: spec.tx, reason: spec.reason };
    case 'MarkDelivered':
      return {
        type: 'MarkDelivered',
        title: spec.title,
        evidence: Array.from({ length: spec.evidenceCount }, (_, i) => `evidence-${i}`),
      };
    case 'ConfirmDelivery':
    case 'ExpireEscrow':
      return { type: spec.type };
    case 'RefundEscrow':
      return spec.amount === undefined
        ? { type: 'RefundEscrow', reason: spec.reason }
        : { type: 'RefundEscrow', reason: spec.reason, refundAmount: amountFor(spec.amount, s) };
    case 'OpenDispute':
      return { type: 'OpenDispute', reason: spec.reason };
    case 'StartDisputeReview':
      return { type: 'StartDisputeReview', disputeId: disputeId(spec.dispute) };
    case 'ResolveDispute':
      return {
        type: 'ResolveDispute',
        disputeId: disputeId(spec.dispute),
        resolution: spec.resolution as 'RELEASE',
        reason: spec.reason,
        ...(spec.buyerAmount === undefined ? {} : { buyerAmount: amountFor(spec.buyerAmount, s) }),
      };
    case 'ApplyDeliveryTimeout':
      return { type: 'ApplyDeliveryTimeout', action: spec.action as 'REFUND' };
    case 'RecordSettlementResult':
      return {
        type: 'RecordSettlementResult',
        settlementId: settlementId(spec.settlement),
        outcome: spec.outcome,
        ...(spec.reason === undefined ? {} : { reason: spec.reason }),
      };
    case 'RetrySettlement':
      return { type: 'RetrySettlement', settlementId: settlementId(spec.settlement) };
    case 'RefundSuspense':
      return { type: 'RefundSuspense', suspenseId: suspenseId(spec.item), reason: spec.reason };
    case 'ApplySuspense':
      return { type: 'ApplySuspense', suspenseIds: spec.items.map(suspenseId), reason: spec.reason };
    case 'ClearReviewFlag':
      return { type: 'ClearReviewFlag', reason: spec.reason };
    default: {
      const _exhaustive: never = spec;
      throw new Error(`unknown spec ${JSON.stringify(_exhaustive)}`);
    }
  }
}
