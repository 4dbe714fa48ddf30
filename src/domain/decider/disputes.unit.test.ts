import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DISPUTE_ID,
  NOW,
  actors,
  applyAll,
  givenEscrow,
  histories,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import type { EscrowCommand } from '../commands.js';
import { untyped, inStatus, payoutData, refundData } from './decider.kit.js';
import { addDays } from './deadlines.js';

void describe('OpenDispute', () => {
  const open = { type: 'OpenDispute', reason: 'not as described' } as const;

  for (const [name, status] of [
    ['buyer', 'FUNDS_HELD'],
    ['seller', 'DELIVERED'],
    ['buyer', 'DELIVERED'],
    ['seller', 'FUNDS_HELD'],
  ] as const) {
    void it(`by the ${name} from ${status} opens an OPEN dispute`, () => {
      const before = inStatus(status);
      const events = when(
        before,
        { ...open, description: 'wrong item', evidence: ['photo-1'] },
        { actor: actors[name] },
      );
      then(events, [
        {
          type: 'DisputeOpened',
          data: {
            disputeId: '1-dispute',
            milestoneId: null,
            reason: 'not as described',
            description: 'wrong item',
            evidence: ['photo-1'],
            files: [],
            respondBy: addDays(NOW, 3),
            slaDueAt: addDays(NOW, 7),
          },
        },
      ]);
      const after = applyAll(before, events);
      assert.equal(after?.status, 'DISPUTED');
      assert.deepEqual(
        after?.disputes.map((d) => [d.id, d.status, d.openedBy]),
        [['1-dispute', 'OPEN', actors[name].id]],
      );
    });
  }

  for (const name of ['admin', 'service', 'system'] as const) {
    void it(`is forbidden to ${name}`, () => {
      thenThrows(() => when(inStatus('FUNDS_HELD'), open, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('one open dispute at a time', () => {
    thenThrows(() => when(inStatus('DISPUTED'), open, { actor: actors.seller }), 'DISPUTE_ALREADY_OPEN');
  });

  void it('refuses a reason over 100 characters and more than 50 evidence items', () => {
    thenThrows(() => when(inStatus('FUNDS_HELD'), { ...open, reason: 'x'.repeat(101) }), 'VALIDATION_ERROR');
    thenThrows(() => when(inStatus('FUNDS_HELD'), { ...open, reason: '' }), 'VALIDATION_ERROR');
    thenThrows(
      () => when(inStatus('FUNDS_HELD'), { ...open, evidence: Array.from({ length: 51 }, () => 'e') }),
      'VALIDATION_ERROR',
    );
  });

  for (const status of ['AWAIT_FUNDS', 'RELEASED', 'REFUNDED', 'CANCELLED'] as const) {
    void it(`is refused from ${status}`, () => {
      thenThrows(() => when(inStatus(status), open), 'INVALID_STATE_TRANSITION');
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('StartDisputeReview', () => {
  const review = { type: 'StartDisputeReview', disputeId: DISPUTE_ID } as const;

  void it('by an admin puts the dispute IN_REVIEW with the reviewer', () => {
    const before = inStatus('DISPUTED');
    const events = when(before, review, { actor: actors.admin });
    then(events, [{ type: 'DisputeReviewStarted', data: { disputeId: DISPUTE_ID, reviewerId: actors.admin.id } }]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'DISPUTED');
    assert.deepEqual(
      after?.disputes.map((d) => [d.status, d.reviewerId]),
      [['IN_REVIEW', actors.admin.id]],
    );
  });

  void it('a second review of the same dispute is refused', () => {
    const s = givenEscrow([...histories.DISPUTED(), ...when(inStatus('DISPUTED'), review, { actor: actors.admin })]);
    const err = thenThrows(() => when(s, review, { actor: actors.admin }), 'INVALID_STATE_TRANSITION');
    assert.equal(err.details.currentStatus, 'IN_REVIEW');
  });

  void it('an unknown dispute is DISPUTE_NOT_FOUND', () => {
    thenThrows(
      () => when(inStatus('DISPUTED'), { ...review, disputeId: 'nope' }, { actor: actors.admin }),
      'DISPUTE_NOT_FOUND',
    );
  });

  for (const name of ['buyer', 'seller', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('DISPUTED'), review, { actor: actors[name] }), 'FORBIDDEN');
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('ResolveDispute', () => {
  const resolve = (resolution: 'RELEASE' | 'REFUND' | 'SPLIT', buyerAmount?: string) =>
    ({
      type: 'ResolveDispute',
      disputeId: DISPUTE_ID,
      resolution,
      reason: 'ruling',
      buyerAmount,
    }) satisfies EscrowCommand;
  const admin = { actor: actors.admin };
  const resolvedData = (resolution: 'RELEASE' | 'REFUND' | 'SPLIT', buyerAmount: string | null) => ({
    type: 'DisputeResolved' as const,
    data: { disputeId: DISPUTE_ID, resolution, buyerAmount, reason: 'ruling', status: 'RESOLVED' as const },
  });

  void it('RELEASE pays the seller', () => {
    const before = inStatus('DISPUTED');
    const events = when(before, resolve('RELEASE'), admin);
    then(events, [
      resolvedData('RELEASE', null),
      {
        type: 'EscrowReleased',
        data: {
          trigger: 'DISPUTE',
          reason: 'ruling',
          sellerAmount: '9950',
          feeAmount: '370',
          settlements: [payoutData('9950')],
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'RELEASED');
    const d = after?.disputes[0];
    assert.deepEqual(
      [d?.status, d?.resolution, d?.buyerAmount, d?.resolutionReason, d?.resolvedAt],
      ['RESOLVED', 'RELEASE', null, 'ruling', NOW],
    );
  });

  void it('REFUND returns everything to the buyer', () => {
    const before = inStatus('DISPUTED');
    const events = when(before, resolve('REFUND'), admin);
    then(events, [
      resolvedData('REFUND', '10000'),
      {
        type: 'EscrowRefunded',
        data: {
          trigger: 'DISPUTE',
          refundType: 'FULL',
          reason: 'ruling',
          buyerAmount: '10320',
          sellerAmount: '0',
          feeAmount: '0',
          settlements: [refundData('10320')],
        },
      },
    ]);
    assert.equal(applyAll(before, events)?.status, 'REFUNDED');
  });

  void it('SPLIT gives buyerAmount to the buyer and the rest to the seller (seller fee 37.5 → 38)', () => {
    const before = inStatus('DISPUTED');
    const events = when(before, resolve('SPLIT', '2500'), admin);
    then(events, [
      resolvedData('SPLIT', '2500'),
      {
        type: 'EscrowRefunded',
        data: {
          trigger: 'DISPUTE',
          refundType: 'PARTIAL',
          reason: 'ruling',
          buyerAmount: '2500',
          sellerAmount: '7462',
          feeAmount: '358',
          settlements: [payoutData('7462'), refundData('2500')],
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'REFUNDED');
    assert.equal(after?.refundType, 'PARTIAL');
    assert.equal(after?.disputes[0]?.buyerAmount, 2_500n);
  });

  for (const [buyerAmount, code] of [
    ['10000', 'VALIDATION_ERROR'],
    ['10001', 'VALIDATION_ERROR'],
    ['0', 'INVALID_AMOUNT'],
    ['2.5', 'INVALID_AMOUNT'],
    [undefined, 'INVALID_AMOUNT'],
  ] as const) {
    void it(`SPLIT refuses buyerAmount ${String(buyerAmount)} with ${code}`, () => {
      const err = thenThrows(() => when(inStatus('DISPUTED'), resolve('SPLIT', buyerAmount), admin), code);
      assert.equal(err.details.errors?.[0]?.field, 'buyerAmount');
    });
  }

  void it('works from IN_REVIEW as from OPEN', () => {
    const s = givenEscrow([
      ...histories.DISPUTED(),
      ...when(inStatus('DISPUTED'), { type: 'StartDisputeReview', disputeId: DISPUTE_ID }, admin),
    ]);
    assert.equal(when(s, resolve('RELEASE'), admin).length, 2);
  });

  void it('refuses an unknown resolution and a missing reason', () => {
    thenThrows(
      () => when(inStatus('DISPUTED'), { ...resolve('RELEASE'), resolution: untyped<'RELEASE'>('COIN_FLIP') }, admin),
      'VALIDATION_ERROR',
    );
    thenThrows(() => when(inStatus('DISPUTED'), { ...resolve('RELEASE'), reason: '' }, admin), 'VALIDATION_ERROR');
  });

  void it('an unknown dispute is DISPUTE_NOT_FOUND', () => {
    thenThrows(
      () => when(inStatus('DISPUTED'), { ...resolve('RELEASE'), disputeId: 'nope' }, admin),
      'DISPUTE_NOT_FOUND',
    );
  });

  void it('a resolved dispute cannot be resolved again', () => {
    const err = thenThrows(() => when(inStatus('REFUNDED'), resolve('RELEASE'), admin), 'INVALID_STATE_TRANSITION');
    assert.equal(err.details.currentStatus, 'RESOLVED');
  });

  for (const name of ['buyer', 'seller', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('DISPUTED'), resolve('RELEASE'), { actor: actors[name] }), 'FORBIDDEN');
    });
  }
});
