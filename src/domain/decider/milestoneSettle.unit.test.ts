import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EscrowRun, actors, createCommand } from '../../../test/domainFixtures.js';
import type { MilestoneInput } from '../commands.js';
import { holdingOf } from '../decider.js';
import type { DomainEvent, MilestoneSplitData } from '../events.js';
import { fold } from '../evolve.js';
import type { Escrow, Milestone } from '../types.js';
import { splitParts } from './holding.js';

// An escrow-wide release, refund or ruling on a milestone escrow gives each unsettled milestone its part of the
// amounts (EscrowReleased / EscrowRefunded `milestones`), so the milestones always add up to the escrow's figures.

const DAY = 86_400_000;

/** A funded STRIPE milestone escrow opened by the marketplace's service with the given fees. */
function funded(amounts: readonly bigint[], buyerFee: bigint, sellerFee: bigint): EscrowRun {
  const run = new EscrowRun();
  const milestones: MilestoneInput[] = amounts.map((a, i) => ({ title: `Part ${i + 1}`, amount: a.toString() }));
  const amount = amounts.reduce((a, b) => a + b, 0n).toString();
  const fees = { buyerFee: buyerFee.toString(), sellerFee: sellerFee.toString() };
  run.run(actors.service, createCommand({ amount, milestones, ...fees }));
  const due = (run.escrow.amount + run.escrow.buyerFee).toString();
  run.run(actors.system, {
    type: 'ReceivePayment',
    providerEventId: 'e1',
    transactionId: 't1',
    amount: due,
    currency: 'USD',
  });
  return run;
}

const settled = (m: Milestone) => m.status === 'RELEASED' || m.status === 'REFUNDED';
type Wide = Extract<DomainEvent, { type: 'EscrowReleased' | 'EscrowRefunded' }>;
const wideEvent = (run: EscrowRun): Wide =>
  run.events.findLast((x): x is Wide => x.type === 'EscrowReleased' || x.type === 'EscrowRefunded')!;
const sum = (parts: readonly MilestoneSplitData[], k: 'buyerAmount' | 'sellerAmount' | 'feeAmount') =>
  parts.reduce((a, p) => a + BigInt(p[k]), 0n);

/** The event's parts add up to its amounts; every milestone is whole, non-negative and adds up to the escrow. */
function assertMilestonesAddUp(run: EscrowRun, before: Escrow): void {
  const ev = wideEvent(run);
  const parts = ev.data.milestones!;
  assert.deepEqual(
    parts.map((p) => p.milestoneId),
    before.milestones.filter((m) => !settled(m)).map((m) => m.id),
  );
  const buyer = ev.type === 'EscrowRefunded' ? BigInt(ev.data.buyerAmount) : 0n;
  assert.equal(sum(parts, 'buyerAmount'), buyer);
  assert.equal(sum(parts, 'sellerAmount'), BigInt(ev.data.sellerAmount));
  assert.equal(sum(parts, 'feeAmount'), BigInt(ev.data.feeAmount));
  const e = run.escrow;
  for (const m of e.milestones) {
    assert.ok(settled(m), `milestone ${m.position} is ${m.status}`);
    assert.ok(m.buyerAmount >= 0n && m.sellerAmount >= 0n && m.feeAmount >= 0n, `milestone ${m.position}`);
    assert.equal(m.buyerAmount + m.sellerAmount + m.feeAmount, m.amount + m.buyerFee, `milestone ${m.position}`);
    assert.equal(m.status, m.buyerAmount > 0n ? 'REFUNDED' : 'RELEASED');
  }
  const total = (k: 'buyerAmount' | 'sellerAmount' | 'feeAmount') => e.milestones.reduce((a, m) => a + m[k], 0n);
  assert.deepEqual(
    [total('buyerAmount'), total('sellerAmount'), total('feeAmount')],
    [e.refundedAmount, e.releasedAmount, e.feeAmount],
  );
  assert.equal(holdingOf(e), 0n);
  assert.deepEqual(run.violations(), []);
}

void describe('escrow-wide settlement of a milestone escrow: each milestone carries its part', () => {
  void it('release of the rest: each open milestone is splitParts(m, 0)', () => {
    const run = funded([3000n, 3000n, 4000n], 320n, 50n);
    const [m1] = run.escrow.milestones;
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1!.id, title: 'done' });
    run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m1!.id });
    const before = run.escrow;
    run.run(actors.admin, { type: 'ReleaseEscrow', reason: 'all delivered' });
    assertMilestonesAddUp(run, before);
    for (const m of before.milestones.slice(1)) {
      const after = run.escrow.milestones.find((x) => x.id === m.id)!;
      assert.deepEqual([after.buyerAmount, after.sellerAmount, after.feeAmount], Object.values(splitParts(m, 0n)));
    }
  });

  void it('a partial refund allots the principal pro rata and the event amounts are the sums', () => {
    const run = funded([3000n, 3000n, 4000n], 320n, 50n);
    const m1 = run.escrow.milestones[0]!.id;
    run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m1, title: 'done' });
    run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m1 });
    const before = run.escrow;
    run.run(actors.admin, { type: 'RefundEscrow', refundAmount: '1000', reason: 'parts 2 and 3 short' });
    assertMilestonesAddUp(run, before);
    // 1000 over 3000 / 4000: 429 / 571; seller fee shares 15 and 20 pro rata on 2571 and 3429: 13 and 17
    assert.deepEqual(wideEvent(run).data.milestones, [
      { milestoneId: before.milestones[1]!.id, buyerAmount: '429', sellerAmount: '2558', feeAmount: '109' },
      { milestoneId: before.milestones[2]!.id, buyerAmount: '571', sellerAmount: '3412', feeAmount: '145' },
    ]);
    assert.equal(run.escrow.refundType, 'PARTIAL');
  });

  void it('a ruling whose share covers a whole milestone still earns that milestone its buyer fee', () => {
    const run = funded([1n, 99n], 200n, 10n);
    run.run(actors.buyer, { type: 'OpenDispute', reason: 'not as described' });
    const before = run.escrow;
    const disputeId = before.disputes[0]!.id;
    run.run(actors.admin, {
      type: 'ResolveDispute',
      disputeId,
      resolution: 'SPLIT',
      buyerAmount: '51',
      reason: 'half',
    });
    assertMilestonesAddUp(run, before);
    const [a, b] = run.escrow.milestones;
    // 51 over 1 / 99: 1 / 50 (half-even on the running total); the ruling gives the buyer 51, not 51 + a fee
    assert.deepEqual([a!.buyerAmount, a!.sellerAmount, a!.feeAmount], [1n, 0n, 2n]);
    assert.equal(b!.buyerAmount, 50n);
    assert.equal(run.escrow.refundedAmount, 51n);
  });

  void it('events written before the parts were recorded still fold as before (amounts left at zero)', () => {
    const run = funded([4000n, 6000n], 320n, 50n);
    run.run(actors.admin, { type: 'RefundEscrow', reason: 'seller gave up' });
    const old = run.events.map((x) => {
      if (x.type !== 'EscrowRefunded') return x;
      const { milestones: _dropped, ...data } = x.data;
      return { ...x, data };
    });
    const e = fold(run.escrowId, old)!;
    assert.deepEqual(
      e.milestones.map((m) => [m.status, m.buyerAmount, m.sellerAmount, m.feeAmount]),
      [
        ['REFUNDED', 0n, 0n, 0n],
        ['REFUNDED', 0n, 0n, 0n],
      ],
    );
    assert.equal(e.refundedAmount, run.escrow.refundedAmount);
  });
});

type Pre = 'open' | 'release' | 'timeoutRefund' | 'split';
type Final = { kind: 'release' } | { kind: 'refund' } | { kind: 'partial'; part: number; byRuling: boolean };

/** Settles milestone `m` one by one as `pre` says (a split rules on a dispute of that milestone alone). */
function settleFirst(run: EscrowRun, m: Milestone, pre: Pre, part: number): void {
  if (pre === 'open') return;
  run.run(actors.seller, { type: 'DeliverMilestone', milestoneId: m.id, title: 'done' });
  if (pre === 'release') run.run(actors.buyer, { type: 'ReleaseMilestone', milestoneId: m.id });
  else if (pre === 'timeoutRefund') {
    run.advance(8 * DAY);
    run.run(actors.system, { type: 'ApplyDeliveryTimeout', action: 'REFUND' });
  } else {
    run.run(actors.buyer, { type: 'OpenDispute', reason: 'short', milestoneId: m.id });
    const buyerAmount = 1n + BigInt(Math.floor(Number(m.amount - 1n) * part));
    const resolution = buyerAmount >= m.amount ? 'REFUND' : 'SPLIT';
    const disputeId = run.escrow.disputes.at(-1)!.id;
    run.run(actors.admin, {
      type: 'ResolveDispute',
      disputeId,
      resolution,
      buyerAmount: `${buyerAmount}`,
      reason: 'r',
    });
  }
}

/** The escrow-wide release, full refund or partial split of what is left; a split's principal is returned. */
function settleRest(run: EscrowRun, final: Final): bigint | null {
  const rest = run.escrow.milestones.filter((m) => !settled(m)).reduce((a, m) => a + m.amount, 0n);
  if (final.kind === 'release') run.run(actors.admin, { type: 'ReleaseEscrow' });
  if (final.kind === 'refund' || (final.kind === 'partial' && rest < 2n)) {
    run.run(actors.admin, { type: 'RefundEscrow', reason: 'r' });
  }
  if (final.kind !== 'partial' || rest < 2n) return null;
  const principal = 1n + BigInt(Math.floor(Number(rest - 2n) * final.part)); // 1 … rest − 1
  if (!final.byRuling) {
    run.run(actors.admin, { type: 'RefundEscrow', refundAmount: `${principal}`, reason: 'r' });
    return principal;
  }
  run.run(actors.buyer, { type: 'OpenDispute', reason: 'the rest is short' });
  const disputeId = run.escrow.disputes.at(-1)!.id;
  run.run(actors.admin, {
    type: 'ResolveDispute',
    disputeId,
    resolution: 'SPLIT',
    buyerAmount: `${principal}`,
    reason: 'r',
  });
  return principal;
}

void describe('property: after any milestones settled one by one, an escrow-wide settlement adds up exactly', () => {
  const pre = fc.constantFrom<Pre>('open', 'release', 'timeoutRefund', 'split');
  const final = fc.oneof(
    fc.constant<Final>({ kind: 'release' }),
    fc.constant<Final>({ kind: 'refund' }),
    fc.record({
      kind: fc.constant('partial' as const),
      part: fc.double({ min: 0, max: 1, noNaN: true }),
      byRuling: fc.boolean(),
    }),
  );
  void it('holds for random parts, fees, earlier settlements and the final release, refund or split', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // tiny parts too: where a rounded share can cover a whole milestone
            amount: fc.oneof(fc.bigInt({ min: 1n, max: 3n }), fc.bigInt({ min: 50n, max: 50_000n })),
            pre,
            part: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        final,
        (items, buyerRate, sellerRate, last) => {
          const amounts = items.map((x) => x.amount);
          const total = amounts.reduce((a, b) => a + b, 0n);
          const buyerFee = BigInt(Math.floor(Number(total) * buyerRate));
          const sellerFee = BigInt(Math.floor(Number(total) * sellerRate));
          fc.pre(total + buyerFee >= 50n); // the STRIPE minimum charge
          const run = funded(amounts, buyerFee, sellerFee);
          // at least one milestone stays open for the escrow-wide settlement
          const pres = items.map((x, i) => (i === items.length - 1 ? 'open' : x.pre));
          run.escrow.milestones.forEach((m, i) => settleFirst(run, m, pres[i]!, items[i]!.part));
          const before = run.escrow;
          const principal = settleRest(run, last);
          assertMilestonesAddUp(run, before);
          const ev = wideEvent(run);
          assert.equal(ev.type, last.kind === 'release' ? 'EscrowReleased' : 'EscrowRefunded');
          // a split gives the buyer exactly the principal: no buyer fee share comes back with it
          if (principal !== null && ev.type === 'EscrowRefunded') assert.equal(BigInt(ev.data.buyerAmount), principal);
          assert.equal(run.escrow.fundedAmount, run.escrow.amount + run.escrow.buyerFee);
        },
      ),
      { numRuns: 300 },
    );
  });
});
