import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AUTO_REFUND_AT,
  BUYER_ID,
  SELLER_ID,
  actors,
  applyAll,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import type { EscrowCommand } from '../commands.js';
import { holdingOf } from '../decider.js';
import { DEFAULT_POLICY } from '../policy.js';
import { inStatus, payoutData } from './decider.kit.js';

void describe('MarkDelivered', () => {
  const deliver = { type: 'MarkDelivered', title: '  Account handed over ' } as const;

  for (const name of ['seller', 'admin'] as const) {
    void it(`by the ${name} records the delivery and the confirmation deadline`, () => {
      const before = inStatus('FUNDS_HELD');
      const events = when(
        before,
        { ...deliver, description: 'login sent by mail', evidence: ['sha256:abc'] },
        { actor: actors[name] },
      );
      then(events, [
        {
          type: 'EscrowDelivered',
          data: {
            deliveryId: '1-delivery',
            title: 'Account handed over',
            description: 'login sent by mail',
            evidence: ['sha256:abc'],
            files: [],
            autoRefundAt: AUTO_REFUND_AT,
          },
        },
      ]);
      const after = applyAll(before, events);
      assert.equal(after?.status, 'DELIVERED');
      assert.equal(after?.autoRefundAt, '2025-01-08T00:00:00.000Z');
      assert.deepEqual(
        after?.deliveries.map((d) => [d.id, d.deliveredBy]),
        [['1-delivery', actors[name].id]],
      );
    });
  }

  void it('takes the confirmation deadline from the policy', () => {
    const [e] = when(inStatus('FUNDS_HELD'), deliver, {
      actor: actors.seller,
      policy: { ...DEFAULT_POLICY, autoRefundDeadlineDays: 14 },
    });
    assert.ok(e?.type === 'EscrowDelivered');
    assert.equal(e.data.autoRefundAt, '2025-01-15T00:00:00.000Z');
  });

  for (const name of ['buyer', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('FUNDS_HELD'), deliver, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('accepts a title of 1 and of 200 characters', () => {
    for (const title of ['x', 'x'.repeat(200)]) {
      assert.equal(when(inStatus('FUNDS_HELD'), { ...deliver, title }, { actor: actors.seller }).length, 1);
    }
  });

  const invalidDeliveries: [string, EscrowCommand][] = [
    ['an empty title', { ...deliver, title: '' }],
    ['a blank title', { ...deliver, title: '   ' }],
    ['a 201-character title', { ...deliver, title: 'x'.repeat(201) }],
    ['a 5001-character description', { ...deliver, description: 'x'.repeat(5001) }],
    ['51 evidence items', { ...deliver, evidence: Array.from({ length: 51 }, (_, i) => `e${i}`) }],
    ['an empty evidence item', { ...deliver, evidence: [''] }],
  ];
  for (const [label, command] of invalidDeliveries) {
    void it(`refuses ${label}`, () => {
      thenThrows(() => when(inStatus('FUNDS_HELD'), command, { actor: actors.seller }), 'VALIDATION_ERROR');
    });
  }

  void it('accepts 50 evidence items', () => {
    const evidence = Array.from({ length: 50 }, (_, i) => `e${i}`);
    assert.equal(when(inStatus('FUNDS_HELD'), { ...deliver, evidence }, { actor: actors.seller }).length, 1);
  });

  void it('is refused before funding and after delivery', () => {
    for (const status of ['AWAIT_FUNDS', 'DELIVERED'] as const) {
      thenThrows(() => when(inStatus(status), deliver, { actor: actors.seller }), 'INVALID_STATE_TRANSITION');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('ConfirmDelivery', () => {
  void it('by the buyer confirms and releases: seller gets amount − seller fee, platform both fees', () => {
    const before = inStatus('DELIVERED');
    const events = when(before, { type: 'ConfirmDelivery' }, { actor: actors.buyer });
    then(events, [
      { type: 'DeliveryConfirmed', data: { confirmedBy: BUYER_ID } },
      {
        type: 'EscrowReleased',
        data: {
          trigger: 'BUYER_CONFIRMED',
          reason: null,
          sellerAmount: '9950',
          feeAmount: '370',
          settlements: [payoutData('9950')],
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.ok(after);
    assert.equal(after.status, 'RELEASED');
    assert.equal(after.version, before.version + 2);
    assert.equal(after.releasedAmount, 9_950n);
    assert.equal(after.feeAmount, 370n);
    assert.equal(after.refundedAmount, 0n);
    assert.equal(holdingOf(after), 0n);
    assert.deepEqual(
      after.settlements.map((s) => [s.id, s.kind, s.amount, s.status, s.beneficiaryId]),
      [['1-settlement:payout', 'PAYOUT', 9_950n, 'PENDING', SELLER_ID]],
    );
  });

  for (const name of ['seller', 'service', 'admin', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('DELIVERED'), { type: 'ConfirmDelivery' }, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('is refused before delivery', () => {
    thenThrows(() => when(inStatus('FUNDS_HELD'), { type: 'ConfirmDelivery' }), 'INVALID_STATE_TRANSITION');
  });
});
