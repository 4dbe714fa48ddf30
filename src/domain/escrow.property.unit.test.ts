import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BUYER_ID, EscrowRun, SELLER_ID, actors, given, type ActorName } from '../../test/domainFixtures.js';
import type { EscrowCommand } from './commands.js';
import { holdingOf } from './decider.js';
import { DomainError } from './errors.js';
import type { EventType } from './events.js';
import { TERMINAL, type Escrow, type EscrowStatus, type Rail } from './types.js';

// ---- what a step may be -------------------------------------------------------------------------------------------

/** Amounts are chosen relative to the escrow (so the interesting ones come up often), or are plain garbage. */
const AMOUNT_CHOICES = [
  'paid', // amount + buyer fee: what funds the escrow
  'paid+1',
  'paid-1',
  'principal',
  'principal+1',
  'half',
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
  one: () => 1n,
};

function amountFor(choice: AmountChoice, s: Escrow | null): string {
  const amount = s?.amount ?? 10_000n;
  const relative = RELATIVE[choice];
  return relative ? relative(amount, amount + (s?.buyerFee ?? 0n)).toString() : choice;
}

const TX = ['tx-1', 'tx-2', 'tx-3'] as const;
const HUGE_METADATA = { blob: 'x'.repeat(17_000) };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Spec =
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
  | { type: 'ConfirmPayment'; tx: string; evidence: string }
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
  | { type: 'RetrySettlement'; settlement: number };

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
const validCreate: fc.Arbitrary<{ actor: ActorName; spec: Spec }> = fc
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

const specArb: fc.Arbitrary<Spec> = fc.oneof(
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
);

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
    ['admin', { type: 'ConfirmPayment', tx: 'tx-3', evidence: 'bank statement' }],
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
  CANCELLED: [['system', { type: 'ReceivePayment', tx: 'tx-3', amount: 'paid', currency: 'same' }]],
};
const SETTLING: readonly [ActorName, Spec][] = [
  ['system', { type: 'RecordSettlementResult', settlement: 0, outcome: 'SUCCEEDED' }],
  ['system', { type: 'RecordSettlementResult', settlement: 1, outcome: 'SUCCEEDED' }],
  ['system', { type: 'RecordSettlementResult', settlement: 0, outcome: 'FAILED', reason: 'account closed' }],
  ['system', { type: 'RecordSettlementResult', settlement: 1, outcome: 'FAILED' }],
  ['admin', { type: 'RetrySettlement', settlement: 0 }],
  ['admin', { type: 'RetrySettlement', settlement: 1 }],
];

interface Step {
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
function resolveStep(step: Step, s: Escrow | null): [ActorName, Spec] {
  if (!step.progress) return [step.actor, step.spec];
  const moves =
    s === null ? PROGRESS.NONE : TERMINAL.has(s.status) ? [...PROGRESS[s.status], ...SETTLING] : PROGRESS[s.status];
  return moves[step.pick % moves.length] ?? [step.actor, step.spec];
}

const scenarioArb = fc.record({
  first: fc.option(validCreate, { freq: 10, nil: undefined }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 30, size: 'max' }),
});

function toCommand(spec: Spec, s: Escrow | null): EscrowCommand {
  const disputeId = (ref: 'last' | 'first' | 'nope') =>
    ref === 'nope' ? 'no-such-dispute' : ((ref === 'last' ? s?.disputes.at(-1) : s?.disputes[0])?.id ?? 'none-yet');
  const settlementId = (i: number) => s?.settlements[i]?.id ?? `no-such-settlement-${i}`;
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
      return { type: 'ConfirmPayment', transactionId: spec.tx, evidence: spec.evidence };
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
    default: {
      const _exhaustive: never = spec;
      throw new Error(`unknown spec ${JSON.stringify(_exhaustive)}`);
    }
  }
}

// ---- invariants ---------------------------------------------------------------------------------------------------

/** SPEC §3.1: where each status may lead (staying put is always allowed). */
const NEXT: Record<EscrowStatus, readonly EscrowStatus[]> = {
  AWAIT_FUNDS: ['AWAIT_FUNDS', 'FUNDS_HELD', 'CANCELLED'],
  FUNDS_HELD: ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'REFUNDED'],
  DELIVERED: ['DELIVERED', 'RELEASED', 'DISPUTED', 'REFUNDED'],
  DISPUTED: ['DISPUTED', 'RELEASED', 'REFUNDED'],
  RELEASED: ['RELEASED'],
  REFUNDED: ['REFUNDED'],
  CANCELLED: ['CANCELLED'],
};

function checkMoney(s: Escrow): void {
  const holding = holdingOf(s);
  assert.ok(holding >= 0n, `holding is negative: ${holding}`);
  assert.equal(s.releasedAmount + s.refundedAmount + s.feeAmount + holding, s.fundedAmount);
  for (const v of [s.releasedAmount, s.refundedAmount, s.feeAmount]) assert.ok(v >= 0n, `negative amount ${v}`);
  assert.ok(
    s.fundedAmount === 0n || s.fundedAmount === s.amount + s.buyerFee,
    `funded ${s.fundedAmount} is neither 0 nor amount + buyer fee`,
  );
  if (s.status === 'AWAIT_FUNDS' || s.status === 'CANCELLED') assert.equal(s.fundedAmount, 0n);
  if (TERMINAL.has(s.status)) assert.equal(holding, 0n, `terminal ${s.status} still holds ${holding}`);
  if (s.status === 'RELEASED' || s.status === 'REFUNDED') {
    const settled = s.settlements.reduce((a, x) => a + x.amount, 0n);
    assert.equal(settled, s.releasedAmount + s.refundedAmount, 'settlements pay out exactly what left holding');
  }
}

/** What the property saw, so a generator that never reaches the interesting states fails loudly. */
const seen = {
  statuses: new Set<EscrowStatus>(),
  events: new Set<EventType | 'EscrowRefunded:PARTIAL'>(),
  errors: 0,
};

function runScenario(scenario: { first: { actor: ActorName; spec: Spec } | undefined; steps: Step[] }): void {
  const run = new EscrowRun();
  const steps: Step[] = scenario.first
    ? [{ ...scenario.first, progress: false, pick: 0, advanceMs: 0 }, ...scenario.steps]
    : scenario.steps;
  for (const step of steps) {
    run.advance(step.advanceMs);
    const before = run.state;
    const snapshot = structuredClone(before);
    const [actorName, spec] = resolveStep(step, before);
    const command = toCommand(spec, before);
    let events;
    try {
      events = run.run(actors[actorName], command);
    } catch (err) {
      if (!(err instanceof DomainError)) {
        const what = err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
        assert.fail(`decide threw a non-DomainError for ${actorName} ${JSON.stringify(command)}: ${what}`);
      }
      seen.errors += 1;
      assert.deepEqual(run.state, snapshot, 'a rejected command changed the state');
      continue;
    }
    assert.deepEqual(before, snapshot, 'decide mutated its input state');
    const after = run.state;
    if (!after) {
      assert.equal(events.length, 0);
      continue;
    }
    for (const e of events) {
      assert.equal(e.occurredAt, run.now);
      assert.equal(e.actorId, actors[actorName].id);
      seen.events.add(e.type);
      if (e.type === 'EscrowRefunded' && e.data.refundType === 'PARTIAL') seen.events.add('EscrowRefunded:PARTIAL');
    }
    seen.statuses.add(after.status);
    assert.equal(after.version, run.events.length, 'version = number of events applied');
    if (before) {
      assert.ok(NEXT[before.status].includes(after.status), `${before.status} → ${after.status} via ${command.type}`);
      if (TERMINAL.has(before.status)) assert.equal(after.status, before.status, 'a terminal state stays terminal');
    }
    checkMoney(after);
    assert.deepEqual(run.violations(), [], `ledger after ${command.type}`);
    assert.deepEqual(given(run.events), after, 'folding the events reproduces the state');
  }
}

void describe('escrow decider properties', () => {
  void it('random command sequences from random callers keep the money and the state machine sound', () => {
    fc.assert(fc.property(scenarioArb, runScenario), { numRuns: 300 });

    // the generator must actually reach every status and every way money moves
    assert.deepEqual([...seen.statuses].sort(), [
      'AWAIT_FUNDS',
      'CANCELLED',
      'DELIVERED',
      'DISPUTED',
      'FUNDS_HELD',
      'REFUNDED',
      'RELEASED',
    ]);
    for (const t of [
      'EscrowReleased',
      'EscrowRefunded',
      'EscrowRefunded:PARTIAL',
      'SettlementSucceeded',
      'SettlementFailed',
      'SettlementRetried',
      'PaymentMismatchRecorded',
      'EscrowFlaggedForReview',
    ] as const) {
      assert.ok(seen.events.has(t), `no ${t} in any run`);
    }
    assert.ok(seen.errors > 0);
  });
});
