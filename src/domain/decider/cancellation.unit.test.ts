import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actors, applyAll, then, thenThrows, when, type ActorName } from '../../../test/domainFixtures.js';
import { untyped, inStatus } from './decider.kit.js';

void describe('CancelEscrow', () => {
  const cases: [ActorName, string][] = [
    ['buyer', 'BUYER_CANCELLED'],
    ['seller', 'SELLER_CANCELLED'],
    ['admin', 'ADMIN'],
  ];
  for (const [name, reason] of cases) {
    void it(`by the ${name} cancels with reason ${reason}`, () => {
      const before = inStatus('AWAIT_FUNDS');
      const events = when(before, { type: 'CancelEscrow', reason: '  changed my mind ' }, { actor: actors[name] });
      then(events, [{ type: 'EscrowCancelled', data: { reason: untyped(reason), note: 'changed my mind' } }]);
      const after = applyAll(before, events);
      assert.equal(after?.status, 'CANCELLED');
      assert.equal(after?.cancelReason, reason);
      assert.equal(after?.version, 2);
    });
  }

  void it('without a note records null', () => {
    then(when(inStatus('AWAIT_FUNDS'), { type: 'CancelEscrow' }), [
      { type: 'EscrowCancelled', data: { reason: 'BUYER_CANCELLED', note: null } },
    ]);
  });

  for (const name of ['service', 'system'] as const) {
    void it(`is forbidden to ${name}`, () => {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), { type: 'CancelEscrow' }, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('refuses a note over 500 characters', () => {
    thenThrows(
      () => when(inStatus('AWAIT_FUNDS'), { type: 'CancelEscrow', reason: 'x'.repeat(501) }),
      'VALIDATION_ERROR',
    );
  });

  void it('is refused once funded, naming the current state', () => {
    const err = thenThrows(() => when(inStatus('FUNDS_HELD'), { type: 'CancelEscrow' }), 'INVALID_STATE_TRANSITION');
    assert.equal(err.details.currentStatus, 'FUNDS_HELD');
    assert.match(err.message, /FUNDS_HELD/);
  });
});
