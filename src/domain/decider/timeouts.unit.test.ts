import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUTO_REFUND_AT,
  EXPIRES_AT,
  NOW,
  actors,
  applyAll,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import { untyped, inStatus, LATE, payoutData, refundData } from './decider.kit.js';

void describe('ExpireEscrow', () => {
  const expire = { type: 'ExpireEscrow' } as const;

  for (const now of [EXPIRES_AT, '2025-01-08T00:00:00.001Z', LATE]) {
    void it(`at ${now} cancels with reason TIMEOUT`, () => {
      const before = inStatus('AWAIT_FUNDS');
      const events = when(before, expire, { actor: actors.system, now });
      then(events, [{ type: 'EscrowCancelled', data: { reason: 'TIMEOUT', note: null } }]);
      assert.equal(events[0]?.occurredAt, now);
      assert.equal(applyAll(before, events)?.cancelReason, 'TIMEOUT');
    });
  }

  void it('before the payment deadline is DEADLINE_NOT_REACHED', () => {
    for (const now of [NOW, '2025-01-07T23:59:59.999Z']) {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), expire, { actor: actors.system, now }), 'DEADLINE_NOT_REACHED');
    }
  });

  void it('may be run by an admin', () => {
    assert.equal(when(inStatus('AWAIT_FUNDS'), expire, { actor: actors.admin, now: LATE }).length, 1);
  });

  for (const name of ['buyer', 'seller', 'service'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), expire, { actor: actors[name], now: LATE }), 'FORBIDDEN');
    });
  }

  void it('is refused once funded', () => {
    thenThrows(
      () => when(inStatus('FUNDS_HELD'), expire, { actor: actors.system, now: LATE }),
      'INVALID_STATE_TRANSITION',
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('ApplyDeliveryTimeout', () => {
  const sysAt = (now: string) => ({ actor: actors.system, now });
  const reason = 'buyer did not confirm delivery before the deadline';

  void it('REFUND at the deadline refunds the buyer in full', () => {
    const before = inStatus('DELIVERED');
    const events = when(before, { type: 'ApplyDeliveryTimeout', action: 'REFUND' }, sysAt(AUTO_REFUND_AT));
    then(events, [
      {
        type: 'EscrowRefunded',
        data: {
          trigger: 'TIMEOUT',
          refundType: 'FULL',
          reason,
          buyerAmount: '10320',
          sellerAmount: '0',
          feeAmount: '0',
          settlements: [refundData('10320')],
        },
      },
    ]);
    assert.equal(applyAll(before, events)?.status, 'REFUNDED');
  });

  void it('RELEASE after the deadline releases to the seller', () => {
    const before = inStatus('DELIVERED');
    const events = when(before, { type: 'ApplyDeliveryTimeout', action: 'RELEASE' }, sysAt(LATE));
    then(events, [
      {
        type: 'EscrowReleased',
        data: { trigger: 'TIMEOUT', reason, sellerAmount: '9950', feeAmount: '370', settlements: [payoutData('9950')] },
      },
    ]);
    assert.equal(applyAll(before, events)?.status, 'RELEASED');
  });

  void it('before the deadline is DEADLINE_NOT_REACHED', () => {
    thenThrows(
      () =>
        when(
          inStatus('DELIVERED'),
          { type: 'ApplyDeliveryTimeout', action: 'REFUND' },
          sysAt('2025-01-07T23:59:59.999Z'),
        ),
      'DEADLINE_NOT_REACHED',
    );
  });

  void it('refuses an unknown action', () => {
    thenThrows(
      () =>
        when(
          inStatus('DELIVERED'),
          { type: 'ApplyDeliveryTimeout', action: untyped<'REFUND'>('NOTHING') },
          sysAt(LATE),
        ),
      'VALIDATION_ERROR',
    );
  });

  void it('does not run while disputed (deadlines pause)', () => {
    thenThrows(
      () => when(inStatus('DISPUTED'), { type: 'ApplyDeliveryTimeout', action: 'REFUND' }, sysAt(LATE)),
      'INVALID_STATE_TRANSITION',
    );
  });

  void it('may be run by an admin', () => {
    const events = when(
      inStatus('DELIVERED'),
      { type: 'ApplyDeliveryTimeout', action: 'REFUND' },
      {
        actor: actors.admin,
        now: LATE,
      },
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['EscrowRefunded'],
    );
  });

  for (const name of ['buyer', 'seller', 'service'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(
        () =>
          when(
            inStatus('DELIVERED'),
            { type: 'ApplyDeliveryTimeout', action: 'REFUND' },
            { actor: actors[name], now: LATE },
          ),
        'FORBIDDEN',
      );
    });
  }
});
