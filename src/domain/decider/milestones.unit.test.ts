import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EscrowRun, actors, createCommand, thenThrows } from '../../../test/domainFixtures.js';
import type { EscrowPolicy, MilestoneInput } from '../commands.js';
import { holdingOf } from '../decider.js';
import { DEFAULT_POLICY } from '../policy.js';
import type { Escrow } from '../types.js';
import { milestoneShares } from './milestones.js';

const DAY = 86_400_000;

/** A funded STRIPE escrow of USD 100.00 (buyer fee 320, seller fee 50) in the given parts. */
function fundedMilestoneEscrow(amounts: readonly string[], policy: EscrowPolicy = DEFAULT_POLICY): EscrowRun {
  const run = new EscrowRun();
  const milestones: MilestoneInput[] = amounts.map((amount, i) => ({ title: `Part ${i + 1}`, amount }));
  const total = amounts.reduce((a, x) => a + BigInt(x), 0n);
  run.run(actors.buyer, createCommand({ amount: total.toString(), milestones }), policy);
  const due = run.escrow.amount + run.escrow.buyerFee;
  run.run(actors.system, {
    type: 'ReceivePayment',
    providerEventId: 'evt-1',
    transactionId: 'ch_1',
    amount: due.toString(),
    currency: 'USD',
  });
  return run;
}

const milestone = (e: Escrow, position: number) => e.milestones.find((m) => m.position === position)!;

/** Every money invariant of the run: the ledger's own, and released + refunded + fees + holding = funded. */
function assertMoney(run: EscrowRun): void {
  assert.deepEqual(run.violations(), []);
  const e = run.escrow;
  assert.equal(e.releasedAmount + e.refundedAmount + e.feeAmount + holdingOf(e), e.fundedAmount);
  const settledMilestones = e.milestones.filter((m) => m.status === 'RELEASED' || m.status === 'REFUNDED');
  const outOfHolding = settledMilestones.reduce((a, m) => a + m.sellerAmount + m.buyerAmount + m.feeAmount, 0n);
  if (e.status === 'FUNDS_HELD') assert.equal(outOfHolding, e.releasedAmount + e.refundedAmount + e.feeAmount);
}

void describe('milestoneShares: pro-rata fee shares that add up exactly', () => {
  void it('splits 50 over 3000/3000/4000 as 15/15/20 and 320 as 96/96/128', () => {
    assert.deepEqual(milestoneShares(50n, [3000n, 3000n, 4000n]), [15n, 15n, 20n]);
    assert.deepEqual(milestoneShares(320n, [3000n, 3000n, 4000n]), [96n, 96n, 128n]);
  });

  void it('rounds half-even on the running total, so 1 over three equal parts goes to the middle one', () => {
    // cumulative 1/3 → 0, 2/3 → 1, 3/3 → 1: shares 0, 1, 0
    assert.deepEqual(milestoneShares(1n, [1n, 1n, 1n]), [0n, 1n, 0n]);
    assert.deepEqual(milestoneShares(0n, [5n, 7n]), [0n, 0n]);
  });

  void it('always sums to the fee, each share within 1 of its exact value and never above its part', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 50 }),
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        (amounts, rawFee) => {
          const total = amounts.reduce((a, b) => a + b, 0n);
          const fee = rawFee % (total + 1n); // a seller fee is never above the amount
          const shares = milestoneShares(fee, amounts);
          assert.equal(
            shares.reduce((a, b) => a + b, 0n),
            fee,
          );
          shares.forEach((s, i) => {
            const a = amounts[i]!;
            assert.ok(s >= 0n && s <= a, `share ${s} of part ${a}`);
            // |s - fee*a/total| < 1  ⇔  |s*total - fee*a| < total
            const diff = s * total - fee * a;
            assert.ok((diff < 0n ? -diff : diff) < total, `share ${s} is more than 1 off ${fee}×${a}/${total}`);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

void describe('defining milestones', () => {
  void it('on create: EscrowCreated then MilestonesDefined with the fee shares', () => {
    const run = new EscrowRun();
    const events = run.run(
      actors.buyer,
      createCommand({
        milestones: [
          { title: 'Design', amount: '4000' },
          { title: 'Build', amount: '6000' },
        ],
      }),
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['EscrowCreated', 'MilestonesDefined'],
    );
    const [m1, m2] = run.escrow.milestones;
    assert.deepEqual([m1!.buyerFee, m2!.buyerFee, m1!.sellerFee, m2!.sellerFee], [128n, 192n, 20n, 30n]);
    assert.equal(m1!.status, 'PENDING');
  });

  void it('refuses amounts that do not add up, empty and oversized lists, and bad due dates', () => {
    const create = (milestones: unknown) => () =>
      new EscrowRun().run(actors.buyer, createCommand({ milestones: milestones as MilestoneInput[] }));
    const err = thenThrows(
      create([
        { title: 'a', amount: '4000' },
        { title: 'b', amount: '5999' },
      ]),
      'VALIDATION_ERROR',
    );
    assert.match(err.message, /add up to 9999; they must add up to the escrow's amount 10000/);
    thenThrows(create([]), 'VALIDATION_ERROR');
    thenThrows(create(Array.from({ length: 51 }, () => ({ title: 'x', amount: '1' }))), 'VALIDATION_ERROR');
    thenThrows(create([{ title: 'a', amount: '10000', dueAt: 'tomorrow' }]), 'VALIDATION_ERROR');
    thenThrows(create([{ title: '', amount: '10000' }]), 'VALIDATION_ERROR');
  });

  void it('is refused when FEATURE_MILESTONE_ESCROWS is off', () => {
    const run = new EscrowRun();
    const off = { ...DEFAULT_POLICY, milestones: false };
    const cmd = createCommand({ milestones: [{ title: 'all', amount: '10000' }] });
    thenThrows(() => run.run(actors.buyer, cmd, off), 'FEATURE_DISABLED');
  });

  void it('while AWAIT_FUNDS the buyer or an admin (never the seller) replaces them; after funding it is refused', () => {
    const run = new EscrowRun();
    run.run(actors.buyer, createCommand());
    const all = [{ title: 'all', amount: '10000' }];
    const err = thenThrows(() => run.run(actors.seller, { type: 'DefineMilestones', milestones: all }), 'FORBIDDEN');
    assert.match(err.message, /the buyer \(or an admin\) must define them/);
    run.run(actors.admin, { type: 'DefineMilestones', milestones: all });
    run.run(actors.buyer, {
      type: 'DefineMilestones',
      milestones: [
        { title: 'half', amount: '5000' },
        { title: 'half', amount: '5000' },
      ],
    });
    assert.equal(run.escrow.milestones.length, 2);
    run.run(actors.system, {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: 't',
      amount: '10320',
      currency: 'USD',
    });
    thenThrows(
      () => run.run(actors.buyer, { type: 'DefineMilestones', milestones: [{ title: 'x', amount: '10000' }] }),
      'INVALID_STATE_TRANSITION',
    );
  });
});

void describe('a milestone escrow: two released, one disputed and split', () => {
  void it('pays each part less its fee share, splits the disputed one and ends REFUNDED (PARTIAL)', () => {
    const run = fundedMilestoneEscrow(['3000', '3000', '4000']);
    const [m1, m2, m3] = [1, 2, 3].map((p) => milestone(run.escrow, p).id);
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1!, title: 'Part 1 done' });
    assert.equal(run.escrow.status, 'FUNDS_HELD');
    assert.ok(run.escrow.autoRefundAt, 'a delivered milestone sets the confirmation deadline');
    const released = run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m1! });
    assert.equal(released[0]!.type, 'MilestoneReleased');
    // 3000 less its seller fee share 15 to the seller; the fee shares 15 + 96 to the platform
    assert.deepEqual(
      run.escrow.settlements.map((s) => [s.kind, s.amount]),
      [['PAYOUT', 2985n]],
    );
    assert.equal(run.escrow.feeAmount, 111n);
    assert.equal(run.escrow.autoRefundAt, null);
    assertMoney(run);

    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m2!, title: 'Part 2 done' });
    run.run(actors.admin, { type: 'ReleaseMilestone', milestoneId: m2!, reason: 'buyer confirmed by phone' });
    assertMoney(run);

    run.run(actors.buyer, { type: 'OpenDispute', reason: 'part 3 missing pieces', milestoneId: m3! });
    assert.equal(run.escrow.status, 'FUNDS_HELD', 'the others go on');
    assert.equal(milestone(run.escrow, 3).status, 'DISPUTED');
    const disputeId = run.escrow.disputes[0]!.id;
    thenThrows(() => run.run(actors.admin, { type: 'ReleaseEscrow' }), 'INVALID_STATE_TRANSITION');
    run.run(actors.admin, {
      type: 'ResolveDispute',
      disputeId,
      resolution: 'SPLIT',
      buyerAmount: '1000',
      reason: 'three quarters delivered',
    });
    const e = run.escrow;
    assert.equal(e.status, 'REFUNDED');
    assert.equal(e.refundType, 'PARTIAL');
    // part 3: 1000 back to the buyer, 3000 less 15 (its seller fee 20 pro rata) to the seller, 128 + 15 fees
    assert.deepEqual(
      [milestone(e, 3).buyerAmount, milestone(e, 3).sellerAmount, milestone(e, 3).feeAmount],
      [1000n, 2985n, 143n],
    );
    assert.equal(e.releasedAmount + e.refundedAmount + e.feeAmount, e.fundedAmount);
    assert.equal(holdingOf(e), 0n);
    assertMoney(run);
  });

  void it('ends RELEASED when every milestone is released', () => {
    const run = fundedMilestoneEscrow(['2500', '7500']);
    for (const m of run.escrow.milestones) {
      run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m.id, title: 'done' });
      run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m.id });
    }
    assert.equal(run.escrow.status, 'RELEASED');
    assert.equal(run.escrow.releasedAmount, 10_000n - 50n);
    assert.equal(run.escrow.feeAmount, 320n + 50n);
    assertMoney(run);
  });

  void it('the buyer releases only what was delivered; a stranger learns nothing; the seller cannot release', () => {
    const run = fundedMilestoneEscrow(['5000', '5000']);
    const m = milestone(run.escrow, 1).id;
    thenThrows(() => run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m }), 'INVALID_STATE_TRANSITION');
    thenThrows(() => run.run(actors.seller, { type: 'ReleaseMilestone', milestoneId: m }), 'FORBIDDEN');
    thenThrows(() => run.run(actors.stranger, { type: 'ReleaseMilestone', milestoneId: m }), 'ESCROW_NOT_FOUND');
    thenThrows(() => run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: 'nope' }), 'MILESTONE_NOT_FOUND');
    thenThrows(() => run.run(actors.seller, { type: 'MarkDelivered', title: 'all of it' }), 'INVALID_STATE_TRANSITION');
  });
});

void describe('milestone deadlines and refunds of the remainder', () => {
  void it('a delivered milestone left unconfirmed follows the delivered-timeout policy; the others go on', () => {
    const run = fundedMilestoneEscrow(['4000', '6000']);
    const m1 = milestone(run.escrow, 1).id;
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1, title: 'done' });
    thenThrows(
      () => run.run(actors.system, { type: 'ApplyDeliveryTimeout', action: 'REFUND' }),
      'DEADLINE_NOT_REACHED',
    );
    run.advance(8 * DAY);
    const events = run.run(actors.system, { type: 'ApplyDeliveryTimeout', action: 'REFUND' });
    assert.deepEqual(
      events.map((e) => e.type),
      ['MilestoneRefunded'],
    );
    assert.equal(run.escrow.status, 'FUNDS_HELD');
    assert.equal(milestone(run.escrow, 1).status, 'REFUNDED');
    // the whole part back to the buyer with its buyer fee share (128): nothing of it was earned
    assert.equal(run.escrow.refundedAmount, 4128n);
    assert.equal(run.escrow.autoRefundAt, null);
    assertMoney(run);
  });

  void it('an admin refund takes what is not yet released: PARTIAL after a release', () => {
    const run = fundedMilestoneEscrow(['4000', '6000']);
    const m1 = milestone(run.escrow, 1).id;
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1, title: 'done' });
    run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m1 });
    const err = thenThrows(
      () => run.run(actors.admin, { type: 'RefundEscrow', refundAmount: '6001', reason: 'too much' }),
      'REFUND_EXCEEDS_HELD',
    );
    assert.match(err.message, /6000/);
    run.run(actors.admin, { type: 'RefundEscrow', reason: 'seller gave up on part 2' });
    const e = run.escrow;
    assert.equal(e.status, 'REFUNDED');
    assert.equal(e.refundType, 'PARTIAL');
    assert.equal(milestone(e, 2).status, 'REFUNDED');
    assert.equal(e.refundedAmount, 6000n + 192n);
    assert.equal(holdingOf(e), 0n);
    assertMoney(run);
  });

  void it('a dispute of the whole escrow settles every open milestone on the ruling', () => {
    const run = fundedMilestoneEscrow(['3000', '7000']);
    const m1 = milestone(run.escrow, 1).id;
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1, title: 'done' });
    run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m1 });
    run.run(actors.seller, { type: 'OpenDispute', reason: 'buyer stopped answering' });
    assert.equal(run.escrow.status, 'DISPUTED');
    const disputeId = run.escrow.disputes[0]!.id;
    run.run(actors.admin, { type: 'ResolveDispute', disputeId, resolution: 'RELEASE', reason: 'delivered' });
    assert.equal(run.escrow.status, 'RELEASED');
    assert.ok(run.escrow.milestones.every((m) => m.status === 'RELEASED'));
    assertMoney(run);
  });
});

void describe('property: any order of releases, refunds, splits and timeouts keeps the money exact', () => {
  const action = fc.oneof(
    fc.constant({ kind: 'release' as const }),
    fc.constant({ kind: 'timeout' as const }),
    fc.record({ kind: fc.constant('split' as const), part: fc.double({ min: 0, max: 1, noNaN: true }) }),
  );
  void it('holds for random parts, fees and rulings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50_000 }), { minLength: 1, maxLength: 8 }),
        fc.array(action, { minLength: 8, maxLength: 8 }),
        fc.integer({ min: 0, max: 500 }),
        (parts, actions, sellerBps) => {
          const total = parts.reduce((a, b) => a + b, 0);
          if (total < 50) return; // below the STRIPE minimum
          const policy: EscrowPolicy = {
            ...DEFAULT_POLICY,
            fees: {
              ...DEFAULT_POLICY.fees,
              STRIPE: { ...DEFAULT_POLICY.fees.STRIPE, seller: { bps: BigInt(sellerBps), fixed: 0n } },
            },
          };
          const run = fundedMilestoneEscrow(
            parts.map((p) => String(p)),
            policy,
          );
          run.escrow.milestones.forEach((m, i) => {
            const a = actions[i]!;
            run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m.id, title: 'done' }, policy);
            if (a.kind === 'release') run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m.id }, policy);
            else if (a.kind === 'timeout') {
              run.advance(8 * DAY);
              run.run(actors.system, { type: 'ApplyDeliveryTimeout', action: 'RELEASE' }, policy);
            } else {
              run.run(actors.buyer, { type: 'OpenDispute', reason: 'short', milestoneId: m.id }, policy);
              const d = run.escrow.disputes.at(-1)!;
              const buyerAmount = BigInt(Math.floor(Number(m.amount) * a.part));
              const resolution = buyerAmount === 0n ? 'RELEASE' : buyerAmount >= m.amount ? 'REFUND' : 'SPLIT';
              run.run(
                actors.admin,
                {
                  type: 'ResolveDispute',
                  disputeId: d.id,
                  resolution,
                  buyerAmount: buyerAmount.toString(),
                  reason: 'ruled',
                },
                policy,
              );
            }
            assertMoney(run);
          });
          const e = run.escrow;
          assert.ok(e.status === 'RELEASED' || e.status === 'REFUNDED', `ends terminal, not ${e.status}`);
          assert.equal(holdingOf(e), 0n);
          assert.equal(e.releasedAmount + e.refundedAmount + e.feeAmount, e.fundedAmount);
          assert.equal(e.fundedAmount, e.amount + e.buyerFee);
        },
      ),
      { numRuns: 150 },
    );
  });
});
