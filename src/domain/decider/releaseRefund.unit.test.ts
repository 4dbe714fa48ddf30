import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actors, applyAll, ev, givenEscrow, then, thenThrows, when } from '../../../test/domainFixtures.js';
import type { EscrowCommand } from '../commands.js';
import { holdingOf } from '../decider.js';
import { inStatus, payoutData, refundData } from './decider.kit.js';

void describe('ReleaseEscrow', () => {
  void it('by an admin from DELIVERED releases with the reason', () => {
    then(when(inStatus('DELIVERED'), { type: 'ReleaseEscrow', reason: 'buyer unreachable' }, { actor: actors.admin }), [
      {
        type: 'EscrowReleased',
        data: {
          trigger: 'ADMIN',
          reason: 'buyer unreachable',
          sellerAmount: '9950',
          feeAmount: '370',
          settlements: [payoutData('9950')],
        },
      },
    ]);
  });

  for (const name of ['buyer', 'seller', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('DELIVERED'), { type: 'ReleaseEscrow' }, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  for (const status of ['AWAIT_FUNDS', 'FUNDS_HELD', 'DISPUTED'] as const) {
    void it(`is refused from ${status}`, () => {
      const err = thenThrows(
        () => when(inStatus(status), { type: 'ReleaseEscrow' }, { actor: actors.admin }),
        'INVALID_STATE_TRANSITION',
      );
      assert.equal(err.details.currentStatus, status);
    });
  }

  void it('with no fees releases the whole amount', () => {
    const s = givenEscrow([
      ev.created({ rail: 'SANDBOX', buyerFee: '0', sellerFee: '0' }),
      ev.fundsHeld('tx-1', '10000'),
      ev.delivered(),
    ]);
    then(when(s, { type: 'ReleaseEscrow' }, { actor: actors.admin }), [
      {
        type: 'EscrowReleased',
        data: {
          trigger: 'ADMIN',
          reason: null,
          sellerAmount: '10000',
          feeAmount: '0',
          settlements: [payoutData('10000')],
        },
      },
    ]);
  });

  void it('with a seller fee equal to the amount creates no payout', () => {
    const s = givenEscrow([ev.created({ sellerFee: '10000' }), ev.fundsHeld(), ev.delivered()]);
    then(when(s, { type: 'ReleaseEscrow' }, { actor: actors.admin }), [
      {
        type: 'EscrowReleased',
        data: { trigger: 'ADMIN', reason: null, sellerAmount: '0', feeAmount: '10320', settlements: [] },
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('RefundEscrow', () => {
  const refund = (refundAmount?: string) =>
    (refundAmount === undefined
      ? { type: 'RefundEscrow', reason: 'goodwill' }
      : { type: 'RefundEscrow', reason: 'goodwill', refundAmount }) satisfies EscrowCommand;

  for (const status of ['FUNDS_HELD', 'DELIVERED'] as const) {
    void it(`full by an admin from ${status} returns everything the buyer paid, buyer fee included`, () => {
      const before = inStatus(status);
      const events = when(before, refund(), { actor: actors.admin });
      then(events, [
        {
          type: 'EscrowRefunded',
          data: {
            trigger: 'ADMIN',
            refundType: 'FULL',
            reason: 'goodwill',
            buyerAmount: '10320',
            sellerAmount: '0',
            feeAmount: '0',
            settlements: [refundData('10320')],
          },
        },
      ]);
      const after = applyAll(before, events);
      assert.ok(after);
      assert.equal(after.status, 'REFUNDED');
      assert.equal(after.refundType, 'FULL');
      assert.equal(after.refundedAmount, 10_320n);
      assert.equal(holdingOf(after), 0n);
    });
  }

  void it('an explicit refundAmount equal to the amount is a FULL refund', () => {
    const [e] = when(inStatus('FUNDS_HELD'), refund('10000'), { actor: actors.admin });
    assert.ok(e?.type === 'EscrowRefunded');
    assert.equal(e.data.refundType, 'FULL');
    assert.equal(e.data.buyerAmount, '10320');
  });

  void it('partial by an admin: refund to the buyer, rest to the seller minus the pro-rata seller fee', () => {
    const before = inStatus('DELIVERED');
    const events = when(before, refund('5000'), { actor: actors.admin });
    then(events, [
      {
        type: 'EscrowRefunded',
        data: {
          trigger: 'ADMIN',
          refundType: 'PARTIAL',
          reason: 'goodwill',
          buyerAmount: '5000',
          sellerAmount: '4975',
          feeAmount: '345',
          settlements: [payoutData('4975'), refundData('5000')],
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.ok(after);
    assert.equal(after.refundType, 'PARTIAL');
    assert.equal(after.refundedAmount + after.releasedAmount + after.feeAmount, after.fundedAmount);
  });

  // seller share s = 10000 − refund; pro-rata seller fee = 50·s/10000 rounded half-even
  const proRata: [string, string, string, string][] = [
    ['9500', '498', '322', '2.5 → 2'],
    ['9700', '298', '322', '1.5 → 2'],
    ['9900', '100', '320', '0.5 → 0'],
    ['7500', '2488', '332', '12.5 → 12'],
    ['9999', '1', '320', '0.005 → 0'],
    ['1', '9949', '370', '49.995 → 50'],
  ];
  for (const [refundAmount, sellerAmount, feeAmount, rounding] of proRata) {
    void it(`partial ${refundAmount}: seller ${sellerAmount}, fees ${feeAmount} (seller fee ${rounding})`, () => {
      const [e] = when(inStatus('FUNDS_HELD'), refund(refundAmount), { actor: actors.admin });
      assert.ok(e?.type === 'EscrowRefunded');
      assert.deepEqual(
        [e.data.buyerAmount, e.data.sellerAmount, e.data.feeAmount],
        [refundAmount, sellerAmount, feeAmount],
      );
      assert.equal(BigInt(refundAmount) + BigInt(sellerAmount) + BigInt(feeAmount), 10_320n);
    });
  }

  void it('by the seller in full is a voluntary SELLER refund', () => {
    for (const cmd of [refund(), refund('10000')]) {
      const [e] = when(inStatus('DELIVERED'), cmd, { actor: actors.seller });
      assert.ok(e?.type === 'EscrowRefunded');
      assert.deepEqual([e.data.trigger, e.data.refundType, e.data.buyerAmount], ['SELLER', 'FULL', '10320']);
    }
  });

  void it('by the seller may not be partial', () => {
    thenThrows(() => when(inStatus('FUNDS_HELD'), refund('5000'), { actor: actors.seller }), 'FORBIDDEN');
  });

  for (const name of ['buyer', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('FUNDS_HELD'), refund(), { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('may not exceed the escrowed amount', () => {
    const err = thenThrows(
      () => when(inStatus('FUNDS_HELD'), refund('10001'), { actor: actors.admin }),
      'REFUND_EXCEEDS_HELD',
    );
    assert.equal(err.details.errors?.[0]?.field, 'refundAmount');
    // the amount plus the buyer fee is what is held, but the principal is what may be refunded
    thenThrows(() => when(inStatus('FUNDS_HELD'), refund('10320'), { actor: actors.admin }), 'REFUND_EXCEEDS_HELD');
  });

  for (const refundAmount of ['0', '-1', '1.5', 'all']) {
    void it(`refuses refundAmount ${JSON.stringify(refundAmount)}`, () => {
      thenThrows(() => when(inStatus('FUNDS_HELD'), refund(refundAmount), { actor: actors.admin }), 'INVALID_AMOUNT');
    });
  }

  void it('requires a reason', () => {
    thenThrows(
      () => when(inStatus('FUNDS_HELD'), { type: 'RefundEscrow', reason: '' }, { actor: actors.admin }),
      'VALIDATION_ERROR',
    );
  });

  for (const status of ['AWAIT_FUNDS', 'DISPUTED'] as const) {
    void it(`is refused from ${status}`, () => {
      thenThrows(() => when(inStatus(status), refund(), { actor: actors.admin }), 'INVALID_STATE_TRANSITION');
    });
  }
});
