import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NOW,
  PAYOUT_ID,
  REFUND_ID,
  actors,
  applyAll,
  ev,
  givenEscrow,
  histories,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import { inStatus } from './decider.kit.js';

void describe('RecordSettlementResult', () => {
  const result = (outcome: 'SUCCEEDED' | 'FAILED', settlementId = REFUND_ID) =>
    ({
      type: 'RecordSettlementResult',
      settlementId,
      outcome,
      providerReference: 're_1',
      reason: 'bank said no',
    }) as const;
  const sys = { actor: actors.system };

  void it('SUCCEEDED completes a pending settlement', () => {
    const before = inStatus('REFUNDED');
    const events = when(before, result('SUCCEEDED'), sys);
    then(events, [
      {
        type: 'SettlementSucceeded',
        data: { settlementId: REFUND_ID, kind: 'REFUND', amount: '10320', providerReference: 're_1' },
      },
    ]);
    const s = applyAll(before, events)?.settlements[0];
    assert.deepEqual([s?.status, s?.providerReference, s?.completedAt], ['SUCCEEDED', 're_1', NOW]);
  });

  void it('a repeated SUCCEEDED, or a FAILED after it, changes nothing', () => {
    const s = givenEscrow([...histories.REFUNDED(), ...when(inStatus('REFUNDED'), result('SUCCEEDED'), sys)]);
    then(when(s, result('SUCCEEDED'), sys), []);
    then(when(s, result('FAILED'), sys), []);
  });

  void it('FAILED marks a pending settlement failed with the reason', () => {
    const before = inStatus('REFUNDED');
    const events = when(before, result('FAILED'), sys);
    then(events, [
      {
        type: 'SettlementFailed',
        data: { settlementId: REFUND_ID, kind: 'REFUND', amount: '10320', reason: 'bank said no' },
      },
    ]);
    const s = applyAll(before, events)?.settlements[0];
    assert.deepEqual([s?.status, s?.failureReason], ['FAILED', 'bank said no']);
    // the terminal escrow is not rolled back
    assert.equal(applyAll(before, events)?.status, 'REFUNDED');
  });

  void it('FAILED without a reason records "unknown"; a repeated FAILED changes nothing', () => {
    const failed = inStatus('RELEASED'); // its payout already failed
    then(when(failed, { type: 'RecordSettlementResult', settlementId: PAYOUT_ID, outcome: 'FAILED' }, sys), []);
    then(
      when(inStatus('REFUNDED'), { type: 'RecordSettlementResult', settlementId: REFUND_ID, outcome: 'FAILED' }, sys),
      [
        {
          type: 'SettlementFailed',
          data: { settlementId: REFUND_ID, kind: 'REFUND', amount: '10320', reason: 'unknown' },
        },
      ],
    );
  });

  void it('SUCCEEDED after FAILED completes it (a late provider confirmation)', () => {
    then(when(inStatus('RELEASED'), result('SUCCEEDED', PAYOUT_ID), sys), [
      {
        type: 'SettlementSucceeded',
        data: { settlementId: PAYOUT_ID, kind: 'PAYOUT', amount: '9950', providerReference: 're_1' },
      },
    ]);
  });

  void it('an unknown settlement is SETTLEMENT_NOT_FOUND', () => {
    thenThrows(() => when(inStatus('REFUNDED'), result('SUCCEEDED', 'nope'), sys), 'SETTLEMENT_NOT_FOUND');
  });

  for (const name of ['buyer', 'seller', 'service', 'admin'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('REFUNDED'), result('SUCCEEDED'), { actor: actors[name] }), 'FORBIDDEN');
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('RetrySettlement', () => {
  const retry = (settlementId = PAYOUT_ID) => ({ type: 'RetrySettlement', settlementId }) as const;

  void it('by an admin puts a FAILED settlement back to PENDING', () => {
    const before = inStatus('RELEASED');
    const events = when(before, retry(), { actor: actors.admin });
    then(events, [{ type: 'SettlementRetried', data: { settlementId: PAYOUT_ID } }]);
    const s = applyAll(before, events)?.settlements[0];
    assert.deepEqual([s?.status, s?.failureReason, s?.completedAt], ['PENDING', null, null]);
    assert.equal(applyAll(before, events)?.status, 'RELEASED');
  });

  void it('is refused for a PENDING or SUCCEEDED settlement', () => {
    const pending = thenThrows(
      () => when(inStatus('REFUNDED'), retry(REFUND_ID), { actor: actors.admin }),
      'INVALID_STATE_TRANSITION',
    );
    assert.equal(pending.details.currentStatus, 'PENDING');
    const succeeded = givenEscrow([...histories.RELEASED(), ev.settlementSucceeded()]);
    thenThrows(() => when(succeeded, retry(), { actor: actors.admin }), 'INVALID_STATE_TRANSITION');
  });

  void it('an unknown settlement is SETTLEMENT_NOT_FOUND', () => {
    thenThrows(() => when(inStatus('RELEASED'), retry('nope'), { actor: actors.admin }), 'SETTLEMENT_NOT_FOUND');
  });

  for (const name of ['buyer', 'seller', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('RELEASED'), retry(), { actor: actors[name] }), 'FORBIDDEN');
    });
  }
});
