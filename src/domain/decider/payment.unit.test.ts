import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUYER_ID,
  actors,
  applyAll,
  givenEscrow,
  histories,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import { inStatus } from './decider.kit.js';

void describe('ConfirmPayment (manual)', () => {
  const confirm = { type: 'ConfirmPayment', transactionId: 'bank-77', evidence: 'statement line 4' } as const;

  void it('by an admin holds amount + buyer fee', () => {
    const before = inStatus('AWAIT_FUNDS');
    const events = when(before, confirm, { actor: actors.admin });
    then(events, [
      {
        type: 'EscrowFundsHeld',
        data: {
          amount: '10320',
          currency: 'USD',
          transactionId: 'bank-77',
          source: 'MANUAL',
          providerEventId: null,
          evidence: 'statement line 4',
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'FUNDS_HELD');
    assert.equal(after?.fundedAmount, 10_320n);
    assert.equal(after?.fundingTransactionId, 'bank-77');
  });

  for (const name of ['buyer', 'seller', 'service', 'system'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), confirm, { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  // SPEC §3.1/§9: "A buyer can never confirm their own payment", whatever role their account has.
  void it('is forbidden to an admin who is the buyer of this escrow', () => {
    thenThrows(() => when(inStatus('AWAIT_FUNDS'), confirm, { actor: { id: BUYER_ID, role: 'admin' } }), 'FORBIDDEN');
  });

  void it('requires a transaction id and evidence', () => {
    const s = inStatus('AWAIT_FUNDS');
    thenThrows(() => when(s, { ...confirm, transactionId: ' ' }, { actor: actors.admin }), 'VALIDATION_ERROR');
    thenThrows(() => when(s, { ...confirm, evidence: '' }, { actor: actors.admin }), 'VALIDATION_ERROR');
  });

  void it('is refused once funded', () => {
    thenThrows(() => when(inStatus('FUNDS_HELD'), confirm, { actor: actors.admin }), 'INVALID_STATE_TRANSITION');
  });

  void it('a later webhook for the same transaction changes nothing', () => {
    const s = givenEscrow([
      ...histories.AWAIT_FUNDS(),
      ...when(inStatus('AWAIT_FUNDS'), confirm, { actor: actors.admin }),
    ]);
    const receive = {
      type: 'ReceivePayment',
      providerEventId: 'evt-2',
      transactionId: 'bank-77',
      amount: '10320',
      currency: 'USD',
    } as const;
    then(when(s, receive, { actor: actors.system }), []);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('ReceivePayment (verified webhook)', () => {
  const receive = (amount: string, currency = 'USD', transactionId = 'tx-1') =>
    ({ type: 'ReceivePayment', providerEventId: 'evt-1', transactionId, amount, currency }) as const;
  const sys = { actor: actors.system };

  void it('of exactly amount + buyer fee holds the funds', () => {
    const before = inStatus('AWAIT_FUNDS');
    const events = when(before, receive('10320'), sys);
    then(events, [
      {
        type: 'EscrowFundsHeld',
        data: {
          amount: '10320',
          currency: 'USD',
          transactionId: 'tx-1',
          source: 'WEBHOOK',
          providerEventId: 'evt-1',
          evidence: null,
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'FUNDS_HELD');
    assert.equal(after?.fundedAmount, 10_320n);
    assert.equal(after?.fundingTransactionId, 'tx-1');
  });

  const mismatches: [string, string, string][] = [
    ['underpayment (principal only)', '10000', 'USD'],
    ['underpayment by one cent', '10319', 'USD'],
    ['overpayment by one cent', '10321', 'USD'],
    ['zero', '0', 'USD'],
    ['wrong currency', '10320', 'EUR'],
  ];
  for (const [label, amount, currency] of mismatches) {
    void it(`records a mismatch and flags on ${label}, without funding`, () => {
      const before = inStatus('AWAIT_FUNDS');
      const events = when(before, receive(amount, currency), sys);
      then(events, [
        {
          type: 'PaymentMismatchRecorded',
          data: {
            expectedAmount: '10320',
            expectedCurrency: 'USD',
            paidAmount: amount,
            paidCurrency: currency,
            transactionId: 'tx-1',
            providerEventId: 'evt-1',
          },
        },
      ]);
      const after = applyAll(before, events);
      assert.equal(after?.status, 'AWAIT_FUNDS');
      assert.equal(after?.flaggedForReview, true);
      assert.equal(after?.fundedAmount, 0n);
      assert.equal(after?.fundingTransactionId, null);
    });
  }

  void it('the same transaction again changes nothing, in any later state', () => {
    for (const status of ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'RELEASED', 'REFUNDED'] as const) {
      then(when(inStatus(status), receive('10320'), sys), []);
    }
  });

  void it('a different payment on a funded escrow is flagged for review', () => {
    const before = inStatus('FUNDS_HELD');
    const events = when(before, receive('10320', 'USD', 'tx-2'), sys);
    then(events, [
      {
        type: 'EscrowFlaggedForReview',
        data: { reason: 'PAYMENT_IN_UNEXPECTED_STATE', detail: 'payment tx-2 of 10320 USD arrived while FUNDS_HELD' },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'FUNDS_HELD');
    assert.equal(after?.flaggedForReview, true);
    assert.equal(after?.fundedAmount, 10_320n);
  });

  void it('a payment on a cancelled escrow is flagged, not applied', () => {
    const events = when(inStatus('CANCELLED'), receive('10320'), sys);
    assert.deepEqual(
      events.map((e) => e.type),
      ['EscrowFlaggedForReview'],
    );
    assert.equal(applyAll(inStatus('CANCELLED'), events)?.status, 'CANCELLED');
  });

  for (const name of ['buyer', 'seller', 'service', 'admin'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), receive('10320'), { actor: actors[name] }), 'FORBIDDEN');
    });
  }

  void it('refuses a malformed amount', () => {
    thenThrows(() => when(inStatus('AWAIT_FUNDS'), receive('103.20'), sys), 'INVALID_AMOUNT');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('RecordPaymentFailure', () => {
  const failure = { type: 'RecordPaymentFailure', providerEventId: 'evt-5', reason: 'card declined' } as const;

  void it('records the failure and leaves the escrow awaiting funds', () => {
    const before = inStatus('AWAIT_FUNDS');
    const events = when(before, { ...failure, transactionId: 'tx-5' }, { actor: actors.system });
    then(events, [
      { type: 'PaymentFailed', data: { transactionId: 'tx-5', providerEventId: 'evt-5', reason: 'card declined' } },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'AWAIT_FUNDS');
    assert.equal(after?.version, 2);
  });

  void it('without a transaction id records null', () => {
    then(when(inStatus('AWAIT_FUNDS'), failure, { actor: actors.system }), [
      { type: 'PaymentFailed', data: { transactionId: null, providerEventId: 'evt-5', reason: 'card declined' } },
    ]);
  });

  void it('after funding changes nothing', () => {
    then(when(inStatus('FUNDS_HELD'), failure, { actor: actors.system }), []);
  });

  void it('requires a reason', () => {
    thenThrows(
      () => when(inStatus('AWAIT_FUNDS'), { ...failure, reason: '' }, { actor: actors.system }),
      'VALIDATION_ERROR',
    );
  });

  for (const name of ['buyer', 'seller', 'service', 'admin'] as const) {
    void it(`is forbidden to the ${name}`, () => {
      thenThrows(() => when(inStatus('AWAIT_FUNDS'), failure, { actor: actors[name] }), 'FORBIDDEN');
    });
  }
});
