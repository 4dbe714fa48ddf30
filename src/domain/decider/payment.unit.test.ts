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
import { inStatus, untyped } from './decider.kit.js';

void describe('ConfirmPayment (manual)', () => {
  const confirm = {
    type: 'ConfirmPayment',
    transactionId: 'bank-77',
    evidence: 'statement line 4',
    amount: '10320',
    currency: 'USD',
  } as const;

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

  void it('requires a transaction id, evidence, and the amount and currency received', () => {
    const s = inStatus('AWAIT_FUNDS');
    const admin = { actor: actors.admin };
    thenThrows(() => when(s, { ...confirm, transactionId: ' ' }, admin), 'VALIDATION_ERROR');
    thenThrows(() => when(s, { ...confirm, evidence: '' }, admin), 'VALIDATION_ERROR');
    const { amount: _a, ...noAmount } = confirm;
    const { currency: _c, ...noCurrency } = confirm;
    thenThrows(() => when(s, untyped(noAmount), admin), 'VALIDATION_ERROR');
    thenThrows(() => when(s, untyped(noCurrency), admin), 'VALIDATION_ERROR');
    thenThrows(() => when(s, { ...confirm, amount: '103.20' }, admin), 'INVALID_AMOUNT');
    thenThrows(() => when(s, { ...confirm, amount: '0' }, admin), 'INVALID_AMOUNT');
    thenThrows(() => when(s, { ...confirm, currency: 'usd' }, admin), 'VALIDATION_ERROR');
  });

  // issue 10 §5: the admin's word on what arrived goes through the webhook's rules, never amount + fee regardless
  void it('of a short amount records the mismatch and books the money to suspense, without funding', () => {
    const before = inStatus('AWAIT_FUNDS');
    const events = when(before, { ...confirm, amount: '9000' }, { actor: actors.admin });
    then(events, [
      {
        type: 'PaymentMismatchRecorded',
        data: {
          expectedAmount: '10320',
          expectedCurrency: 'USD',
          paidAmount: '9000',
          paidCurrency: 'USD',
          transactionId: 'bank-77',
          providerEventId: null,
        },
      },
      {
        type: 'SuspenseBooked',
        data: {
          suspenseId: '1-suspense:bank-77',
          amount: '9000',
          currency: 'USD',
          transactionId: 'bank-77',
          providerEventId: null,
          source: 'MANUAL',
          reason: 'AMOUNT_MISMATCH',
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'AWAIT_FUNDS');
    assert.equal(after?.fundedAmount, 0n);
    assert.equal(after?.flaggedForReview, true);
    assert.deepEqual(
      after?.suspense.map((x) => [x.amount, x.status]),
      [[9000n, 'OPEN']],
    );
  });

  void it('of a transaction already in suspense is refused, pointing at the item to apply or refund', () => {
    const short = when(inStatus('AWAIT_FUNDS'), { ...confirm, amount: '9000' }, { actor: actors.admin });
    const s = applyAll(inStatus('AWAIT_FUNDS'), short);
    const err = thenThrows(() => when(s, confirm, { actor: actors.admin }), 'VALIDATION_ERROR');
    assert.match(err.message, /already in suspense as item 1-suspense:bank-77/);
  });

  void it('is refused once funded or cancelled (a double click or a race with a cancel books nothing)', () => {
    for (const status of ['FUNDS_HELD', 'CANCELLED'] as const) {
      thenThrows(() => when(inStatus(status), confirm, { actor: actors.admin }), 'INVALID_STATE_TRANSITION');
    }
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

  void it('in lower case (as Stripe writes it) is the same currency', () => {
    const after = applyAll(inStatus('AWAIT_FUNDS'), when(inStatus('AWAIT_FUNDS'), receive('10320', 'usd'), sys));
    assert.equal(after?.status, 'FUNDS_HELD');
  });

  void it('of nothing, or in no currency, is refused: never an item that no refund or apply could resolve', () => {
    thenThrows(() => when(inStatus('AWAIT_FUNDS'), receive('0'), sys), 'INVALID_AMOUNT');
    for (const currency of ['', 'US', 'U$D', 'DOLLARS']) {
      const err = thenThrows(() => when(inStatus('AWAIT_FUNDS'), receive('10320', currency), sys), 'VALIDATION_ERROR');
      assert.match(err.message, /currency/);
    }
  });

  const mismatches: [string, string, string][] = [
    ['underpayment (principal only)', '10000', 'USD'],
    ['underpayment by one cent', '10319', 'USD'],
    ['overpayment by one cent', '10321', 'USD'],
    ['wrong currency', '10320', 'EUR'],
  ];
  for (const [label, amount, currency] of mismatches) {
    void it(`records a mismatch, books suspense and flags on ${label}, without funding`, () => {
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
        {
          type: 'SuspenseBooked',
          data: {
            suspenseId: '1-suspense:tx-1',
            amount,
            currency,
            transactionId: 'tx-1',
            providerEventId: 'evt-1',
            source: 'WEBHOOK',
            reason: currency === 'USD' ? 'AMOUNT_MISMATCH' : 'CURRENCY_MISMATCH',
          },
        },
      ]);
      const after = applyAll(before, events);
      assert.equal(after?.suspense[0]?.status, 'OPEN');
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

  void it('a different payment on a funded escrow is booked to suspense and flagged for review', () => {
    const before = inStatus('FUNDS_HELD');
    const events = when(before, receive('10320', 'USD', 'tx-2'), sys);
    then(events, [
      {
        type: 'SuspenseBooked',
        data: {
          suspenseId: '1-suspense:tx-2',
          amount: '10320',
          currency: 'USD',
          transactionId: 'tx-2',
          providerEventId: 'evt-1',
          source: 'WEBHOOK',
          reason: 'DUPLICATE_PAYMENT',
        },
      },
      {
        type: 'EscrowFlaggedForReview',
        data: {
          reason: 'PAYMENT_IN_UNEXPECTED_STATE',
          detail: 'payment tx-2 of 10320 USD arrived while FUNDS_HELD; booked to suspense',
        },
      },
    ]);
    const after = applyAll(before, events);
    assert.equal(after?.status, 'FUNDS_HELD');
    assert.equal(after?.flaggedForReview, true);
    assert.equal(after?.fundedAmount, 10_320n);
  });

  void it('a payment on a cancelled escrow is booked to suspense and flagged, not applied', () => {
    const events = when(inStatus('CANCELLED'), receive('10320'), sys);
    assert.deepEqual(
      events.map((e) => e.type),
      ['SuspenseBooked', 'EscrowFlaggedForReview'],
    );
    const after = applyAll(inStatus('CANCELLED'), events);
    assert.equal(after?.status, 'CANCELLED');
    assert.equal(after?.suspense[0]?.reason, 'ESCROW_CANCELLED');
    // the provider's redelivery of the transaction books nothing more
    then(when(after, { ...receive('10320'), providerEventId: 'evt-again' }, sys), []);
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
