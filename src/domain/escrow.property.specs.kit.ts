// The property test's commands (escrow.property.unit.test.ts): what a step may ask for, as data that fast-check can
// generate and shrink. Runs no tests itself; named *.test.ts so the build leaves it out of dist.
import fc from 'fast-check';
import type { ActorName } from '../../test/domainFixtures.js';
import type { Escrow, Rail } from './types.js';

// ---- what a step may be -------------------------------------------------------------------------------------------

/** Amounts are chosen relative to the escrow (so the interesting ones come up often), or are plain garbage. */
const AMOUNT_CHOICES = [
  'paid', // amount + buyer fee: what funds the escrow
  'paid+1',
  'paid-1',
  'principal',
  'principal+1',
  'half',
  'rest', // what is due after 'half' was paid: the two together fund the escrow
  'one',
  '0',
  '-1',
  '1.5',
  '1e3',
  ' 1',
  '01',
  '10000000000000000',
] as const;
type AmountChoice = (typeof AMOUNT_CHOICES)[number];

/** The choices that depend on the escrow; every other choice is sent as is. */
const RELATIVE: Partial<Record<AmountChoice, (amount: bigint, paid: bigint) => bigint>> = {
  paid: (_, paid) => paid,
  'paid+1': (_, paid) => paid + 1n,
  'paid-1': (_, paid) => paid - 1n,
  principal: (amount) => amount,
  'principal+1': (amount) => amount + 1n,
  half: (amount) => amount / 2n,
  rest: (amount, paid) => paid - amount / 2n,
  one: () => 1n,
};

export function amountFor(choice: AmountChoice, s: Escrow | null): string {
  const amount = s?.amount ?? 10_000n;
  const relative = RELATIVE[choice];
  return relative ? relative(amount, amount + (s?.buyerFee ?? 0n)).toString() : choice;
}

export const TX = ['tx-1', 'tx-2', 'tx-3'] as const;
export const HUGE_METADATA = { blob: 'x'.repeat(17_000) };
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type Spec =
  | {
      type: 'CreateEscrow';
      rail: Rail | 'PAYPAL';
      currency: string;
      amount: string;
      buyerFee?: string;
      sellerFee?: string;
      sameParties: boolean;
      hugeMetadata: boolean;
    }
  | { type: 'CancelEscrow'; reason?: string }
  | { type: 'ConfirmPayment'; tx: string; evidence: string; amount: AmountChoice; currency: 'same' | 'EUR' }
  | { type: 'ReceivePayment'; tx: string; amount: AmountChoice; currency: 'same' | 'EUR' | 'USDC' }
  | { type: 'RecordPaymentFailure'; tx?: string; reason: string }
  | { type: 'MarkDelivered'; title: string; evidenceCount: number }
  | { type: 'ConfirmDelivery' }
  | { type: 'ReleaseEscrow'; reason?: string }
  | { type: 'RefundEscrow'; amount?: AmountChoice; reason: string }
  | { type: 'OpenDispute'; reason: string }
  | { type: 'StartDisputeReview'; dispute: 'last' | 'first' | 'nope' }
  | {
      type: 'ResolveDispute';
      dispute: 'last' | 'first' | 'nope';
      resolution: 'RELEASE' | 'REFUND' | 'SPLIT' | 'COIN_FLIP';
      buyerAmount?: AmountChoice;
      reason: string;
    }
  | { type: 'ExpireEscrow' }
  | { type: 'ApplyDeliveryTimeout'; action: 'REFUND' | 'RELEASE' | 'NOTHING' }
  | { type: 'RecordSettlementResult'; settlement: number; outcome: 'SUCCEEDED' | 'FAILED'; reason?: string }
  | { type: 'RetrySettlement'; settlement: number }
  | { type: 'RefundSuspense'; item: number; reason: string }
  | { type: 'ApplySuspense'; items: number[]; reason: string }
  | { type: 'ClearReviewFlag'; reason: string };

const amountChoice = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<AmountChoice>('paid', 'principal', 'half') },
  { weight: 3, arbitrary: fc.constantFrom(...AMOUNT_CHOICES) },
);
const digits = fc.oneof(
  fc.bigInt({ min: 1n, max: 10_000_000n }).map(String),
  fc.bigInt({ min: 1n, max: 10n ** 15n }).map(String),
  fc.constantFrom('0', '-5', '2.50', '1e6', ' 7', '007', '', '1000000000000001'),
);
const railCurrency = fc.constantFrom<[Rail, string]>(
  ['STRIPE', 'USD'],
  ['STRIPE', 'EUR'],
  ['USDC_BASE', 'USDC'],
  ['PAYSTACK', 'NGN'],
  ['SANDBOX', 'GBP'],
  ['SANDBOX', 'USDC'],
);

/** A create that should succeed, to start most sequences from an escrow. */
export const validCreate: fc.Arbitrary<{ actor: ActorName; spec: Spec }> = fc
  .record({
    rc: railCurrency,
    amount: fc.bigInt({ min: 50n, max: 10n ** 12n }),
    actor: fc.constantFrom<ActorName>('buyer', 'seller', 'service', 'admin'),
    override: fc.option(
      fc.record({ buyerFee: fc.bigInt({ min: 0n, max: 10_000n }), sellerFee: fc.bigInt({ min: 0n, max: 50n }) }),
    ),
  })
  .map(({ rc: [rail, currency], amount, actor, override }) => ({
    actor,
    spec: {
      type: 'CreateEscrow',
      rail,
      currency,
      amount: amount.toString(),
      ...(override && (actor === 'service' || actor === 'admin')
        ? { buyerFee: override.buyerFee.toString(), sellerFee: override.sellerFee.toString() }
        : {}),
      sameParties: false,
      hugeMetadata: false,
    },
  }));

const reasonish = (max: number) => fc.constantFrom('', 'because', 'x'.repeat(max + 1));
const disputeRef = fc.constantFrom<'last' | 'first' | 'nope'>('last', 'last', 'first', 'nope');
const settlementRef = fc.constantFrom(0, 0, 1, 7);

export const specArb: fc.Arbitrary<Spec> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('CreateEscrow' as const),
      rail: fc.constantFrom<Rail | 'PAYPAL'>('SANDBOX', 'STRIPE', 'USDC_BASE', 'PAYSTACK', 'PAYPAL'),
      currency: fc.constantFrom('USD', 'EUR', 'GBP', 'NGN', 'USDC', 'XXX'),
      amount: digits,
      buyerFee: fc.option(digits, { nil: undefined }),
      sellerFee: fc.option(digits, { nil: undefined }),
      sameParties: fc.boolean(),
      hugeMetadata: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('CancelEscrow' as const),
      reason: fc.option(reasonish(500), { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('ConfirmPayment' as const),
      tx: fc.constantFrom(...TX),
      evidence: fc.constantFrom('', 'bank statement'),
      amount: amountChoice,
      currency: fc.constantFrom<'same' | 'EUR'>('same', 'same', 'same', 'EUR'),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('ReceivePayment' as const),
      tx: fc.constantFrom(...TX),
      amount: amountChoice,
      currency: fc.constantFrom<'same' | 'EUR' | 'USDC'>('same', 'same', 'same', 'EUR', 'USDC'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('RecordPaymentFailure' as const),
      tx: fc.option(fc.constantFrom(...TX), { nil: undefined }),
      reason: fc.constantFrom('', 'declined'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('MarkDelivered' as const),
      title: fc.constantFrom('Done', 'Done', '', '   ', 'x'.repeat(201)),
      evidenceCount: fc.constantFrom(0, 1, 51),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ type: 'ConfirmDelivery' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ReleaseEscrow' as const),
      reason: fc.option(reasonish(500), { nil: undefined }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RefundEscrow' as const),
      amount: fc.option(amountChoice, { nil: undefined }),
      reason: fc.constantFrom('goodwill', 'goodwill', ''),
    }),
  },
  { weight: 3, arbitrary: fc.record({ type: fc.constant('OpenDispute' as const), reason: reasonish(100) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('StartDisputeReview' as const), dispute: disputeRef }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('ResolveDispute' as const),
      dispute: disputeRef,
      resolution: fc.constantFrom<'RELEASE' | 'REFUND' | 'SPLIT' | 'COIN_FLIP'>(
        'RELEASE',
        'REFUND',
        'SPLIT',
        'SPLIT',
        'COIN_FLIP',
      ),
      buyerAmount: fc.option(amountChoice, { nil: undefined }),
      reason: fc.constantFrom('ruling', 'ruling', ''),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ type: 'ExpireEscrow' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ApplyDeliveryTimeout' as const),
      action: fc.constantFrom<'REFUND' | 'RELEASE' | 'NOTHING'>('REFUND', 'RELEASE', 'NOTHING'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RecordSettlementResult' as const),
      settlement: settlementRef,
      outcome: fc.constantFrom<'SUCCEEDED' | 'FAILED'>('SUCCEEDED', 'FAILED'),
      reason: fc.option(fc.constantFrom('', 'insufficient funds'), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('RetrySettlement' as const), settlement: settlementRef }) },
  // suspense items by index on the escrow (7: none such)
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('RefundSuspense' as const),
      item: fc.constantFrom(0, 0, 1, 7),
      reason: fc.constantFrom('paid twice', 'paid twice', ''),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('ApplySuspense' as const),
      items: fc.constantFrom<number[]>([0], [0], [0, 1], [1], [7], []),
      reason: fc.constantFrom('topped up', 'topped up', ''),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('ClearReviewFlag' as const),
      reason: fc.constantFrom('reviewed', 'reviewed', ''),
    }),
  },
);
