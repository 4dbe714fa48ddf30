import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTOR_NAMES,
  AUTO_REFUND_AT,
  BUYER_ID,
  DISPUTE_ID,
  EXPIRES_AT,
  EscrowRun,
  NOW,
  PAYOUT_ID,
  REFUND_ID,
  SELLER_ID,
  actors,
  applyAll,
  createCommand,
  ev,
  given,
  givenEscrow,
  histories,
  then,
  thenThrows,
  when,
  type ActorName,
} from '../../test/domainFixtures.js';
import { COMMAND_TYPES, type CommandType, type EscrowCommand } from './commands.js';
import { addDays, decide, holdingOf, isTerminal, splitHolding } from './decider.js';
import type { DomainErrorCode } from './errors.js';
import type { EventPayload, EventType, SettlementData } from './events.js';
import { accounts } from './ledger.js';
import { DEFAULT_POLICY } from './policy.js';
import { STATUSES, type Escrow, type EscrowStatus, type Rail } from './types.js';

/** For inputs the types forbid but the wire can carry. */
const untyped = <T>(value: unknown): T => value as T;
type CreateOverrides = Parameters<typeof createCommand>[0];

const inStatus = (status: EscrowStatus): Escrow => givenEscrow(histories[status]());
const LATE = addDays(NOW, 30);

const payoutData = (amount: string, id = '1-settlement:payout'): SettlementData => ({
  id,
  kind: 'PAYOUT',
  amount,
  currency: 'USD',
  beneficiaryId: SELLER_ID,
});
const refundData = (amount: string, id = '1-settlement:refund'): SettlementData => ({
  id,
  kind: 'REFUND',
  amount,
  currency: 'USD',
  beneficiaryId: BUYER_ID,
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('CreateEscrow', () => {
  void it('opens an AWAIT_FUNDS escrow with SPEC fees and the payment deadline, stamped with time and actor', () => {
    const events = when(null, createCommand(), { actor: actors.buyer });
    then(events, [
      {
        type: 'EscrowCreated',
        data: {
          offerId: 'offer-1',
          contractId: null,
          buyerId: BUYER_ID,
          sellerId: SELLER_ID,
          rail: 'STRIPE',
          currency: 'USD',
          amount: '10000',
          buyerFee: '320',
          sellerFee: '50',
          expiresAt: '2025-01-08T00:00:00.000Z',
          metadata: {},
          payment: { reference: 'pi_123' },
        },
      },
    ]);
    assert.equal(events[0]?.occurredAt, NOW);
    assert.equal(events[0]?.actorId, BUYER_ID);
    const s = givenEscrow(events);
    assert.equal(s.status, 'AWAIT_FUNDS');
    assert.equal(s.version, 1);
    assert.equal(s.amount, 10_000n);
    assert.equal(s.buyerFee, 320n);
    assert.equal(s.sellerFee, 50n);
    assert.equal(s.fundedAmount, 0n);
    assert.equal(s.expiresAt, EXPIRES_AT);
    assert.equal(s.autoRefundAt, null);
  });

  void it('takes the payment deadline from the policy', () => {
    const events = when(null, createCommand(), { policy: { ...DEFAULT_POLICY, paymentDeadlineDays: 2 } });
    assert.equal(givenEscrow(events).expiresAt, '2025-01-03T00:00:00.000Z');
  });

  for (const name of ['buyer', 'seller', 'service', 'admin'] as const) {
    void it(`may be opened by the ${name}`, () => {
      const events = when(null, createCommand(), { actor: actors[name] });
      assert.deepEqual(
        events.map((e) => [e.type, e.actorId]),
        [['EscrowCreated', actors[name].id]],
      );
      assert.deepEqual(events[0]?.data, when(null, createCommand(), { actor: actors.buyer })[0]?.data);
    });
  }

  void it('may not be opened by a user who is neither buyer nor seller', () => {
    thenThrows(() => when(null, createCommand(), { actor: actors.stranger }), 'FORBIDDEN');
  });

  void it('may not be opened by the system', () => {
    thenThrows(() => when(null, createCommand(), { actor: actors.system }), 'FORBIDDEN');
  });

  void it('keeps the contract id and metadata', () => {
    const [e] = when(null, createCommand({ contractId: 'contract-7', metadata: { game: 'x', qty: 2 } }));
    assert.equal(e?.type, 'EscrowCreated');
    if (e?.type !== 'EscrowCreated') return;
    assert.equal(e.data.contractId, 'contract-7');
    assert.deepEqual(e.data.metadata, { game: 'x', qty: 2 });
  });

  void describe('fee overrides', () => {
    for (const name of ['service', 'admin'] as const) {
      void it(`are accepted from ${name}`, () => {
        const [e] = when(null, createCommand({ buyerFee: '0', sellerFee: '125' }), { actor: actors[name] });
        assert.ok(e?.type === 'EscrowCreated');
        assert.equal(e.data.buyerFee, '0');
        assert.equal(e.data.sellerFee, '125');
      });
    }

    void it('override one side and leave the other at the default', () => {
      const [e] = when(null, createCommand({ sellerFee: '100' }), { actor: actors.admin });
      assert.ok(e?.type === 'EscrowCreated');
      assert.equal(e.data.buyerFee, '320');
      assert.equal(e.data.sellerFee, '100');
    });

    for (const name of ['buyer', 'seller'] as const) {
      void it(`are refused from the ${name} (a user), even when zero`, () => {
        thenThrows(() => when(null, createCommand({ buyerFee: '0' }), { actor: actors[name] }), 'FORBIDDEN');
        thenThrows(() => when(null, createCommand({ sellerFee: '0' }), { actor: actors[name] }), 'FORBIDDEN');
      });
    }

    void it('must be digit strings', () => {
      const e1 = thenThrows(
        () => when(null, createCommand({ buyerFee: '-1' }), { actor: actors.service }),
        'INVALID_AMOUNT',
      );
      assert.equal(e1.details.errors?.[0]?.field, 'buyerFee');
      const e2 = thenThrows(
        () => when(null, createCommand({ sellerFee: '1.5' }), { actor: actors.service }),
        'INVALID_AMOUNT',
      );
      assert.equal(e2.details.errors?.[0]?.field, 'sellerFee');
    });

    void it('may not take a seller fee above the amount (equal is allowed)', () => {
      thenThrows(() => when(null, createCommand({ sellerFee: '10001' }), { actor: actors.admin }), 'VALIDATION_ERROR');
      const [e] = when(null, createCommand({ sellerFee: '10000' }), { actor: actors.admin });
      assert.ok(e?.type === 'EscrowCreated');
      assert.equal(e.data.sellerFee, '10000');
    });
  });

  void it('requires buyer and seller to differ', () => {
    const err = thenThrows(
      () => when(null, createCommand({ sellerId: BUYER_ID }), { actor: actors.service }),
      'VALIDATION_ERROR',
    );
    assert.equal(err.details.errors?.[0]?.field, 'sellerId');
  });

  void describe('currency per rail', () => {
    const accepted: [Rail, string, string, string][] = [
      ['STRIPE', 'USD', '320', '50'],
      ['STRIPE', 'EUR', '320', '50'],
      ['STRIPE', 'GBP', '320', '50'],
      ['USDC_BASE', 'USDC', '0', '50'],
      ['PAYSTACK', 'NGN', '0', '0'],
      ['SANDBOX', 'USD', '0', '0'],
      ['SANDBOX', 'EUR', '0', '0'],
      ['SANDBOX', 'GBP', '0', '0'],
      ['SANDBOX', 'NGN', '0', '0'],
      ['SANDBOX', 'USDC', '0', '0'],
    ];
    for (const [rail, currency, buyerFee, sellerFee] of accepted) {
      void it(`${rail} accepts ${currency} (10000 → fees ${buyerFee}/${sellerFee})`, () => {
        const [e] = when(null, createCommand({ rail, currency }));
        assert.ok(e?.type === 'EscrowCreated');
        assert.deepEqual([e.data.buyerFee, e.data.sellerFee], [buyerFee, sellerFee]);
      });
    }

    const refused: [Rail, string][] = [
      ['STRIPE', 'NGN'],
      ['STRIPE', 'USDC'],
      ['USDC_BASE', 'USD'],
      ['PAYSTACK', 'USD'],
      ['SANDBOX', 'JPY'],
      ['STRIPE', 'usd'],
    ];
    for (const [rail, currency] of refused) {
      void it(`${rail} refuses ${currency}`, () => {
        const err = thenThrows(() => when(null, createCommand({ rail, currency })), 'CURRENCY_NOT_SUPPORTED');
        assert.equal(err.details.errors?.[0]?.field, 'currency');
      });
    }

    void it('refuses an unknown rail', () => {
      const err = thenThrows(() => when(null, createCommand({ rail: untyped<Rail>('PAYPAL') })), 'VALIDATION_ERROR');
      assert.equal(err.details.errors?.[0]?.field, 'rail');
    });

    // Regression: a rail named after an Object.prototype member must not be "found" in the policy table.
    for (const rail of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      void it(`refuses the rail ${JSON.stringify(rail)} with a DomainError`, () => {
        const err = thenThrows(() => when(null, createCommand({ rail: untyped<Rail>(rail) })), 'VALIDATION_ERROR');
        assert.equal(err.details.errors?.[0]?.field, 'rail');
      });
    }

    void it('USDC_BASE charges the seller 50 bps: 1 USDC → 5000 micro-units', () => {
      const [e] = when(null, createCommand({ rail: 'USDC_BASE', currency: 'USDC', amount: '1000000' }));
      assert.ok(e?.type === 'EscrowCreated');
      assert.deepEqual([e.data.buyerFee, e.data.sellerFee], ['0', '5000']);
    });

    void it('STRIPE buyer fee rounds a half-even tie: 1500 → 43.5 → 44, + 30', () => {
      const [e] = when(null, createCommand({ amount: '1500' }));
      assert.ok(e?.type === 'EscrowCreated');
      assert.equal(e.data.buyerFee, '74');
    });
  });

  void describe('amount', () => {
    const bad: [string, unknown][] = [
      ['zero', '0'],
      ['negative', '-1'],
      ['decimal', '1.5'],
      ['exponent', '1e3'],
      ['leading space', ' 100'],
      ['leading zero', '0100'],
      ['empty', ''],
      ['letters', 'ten'],
      ['a number', 10000],
      ['above 10^15', '1000000000000001'],
      ['missing', undefined],
    ];
    for (const [label, amount] of bad) {
      void it(`refuses ${label} with INVALID_AMOUNT`, () => {
        const err = thenThrows(() => when(null, createCommand({ amount: untyped<string>(amount) })), 'INVALID_AMOUNT');
        assert.equal(err.details.errors?.[0]?.field, 'amount');
      });
    }

    void it('accepts 1 and 10^15', () => {
      assert.equal(when(null, createCommand({ rail: 'SANDBOX', amount: '1' })).length, 1);
      assert.equal(when(null, createCommand({ amount: '1000000000000000' })).length, 1);
    });

    // The default STRIPE seller fee is a fixed 50, so anything smaller would pay the seller a negative amount.
    void it('on STRIPE refuses an amount below the fixed seller fee, and accepts one equal to it', () => {
      thenThrows(() => when(null, createCommand({ amount: '49' })), 'VALIDATION_ERROR');
      const [e] = when(null, createCommand({ amount: '50' }));
      assert.ok(e?.type === 'EscrowCreated');
      assert.deepEqual([e.data.buyerFee, e.data.sellerFee], ['31', '50']);
    });
  });

  void describe('metadata', () => {
    // JSON.stringify({ a: s }) is s.length + 8 bytes for ASCII s.
    void it('accepts exactly 16 KB of UTF-8 JSON', () => {
      assert.equal(when(null, createCommand({ metadata: { a: 'x'.repeat(16_376) } })).length, 1);
      assert.equal(when(null, createCommand({ metadata: { a: 'é'.repeat(8_188) } })).length, 1);
    });

    void it('refuses one byte more', () => {
      thenThrows(() => when(null, createCommand({ metadata: { a: 'x'.repeat(16_377) } })), 'VALIDATION_ERROR');
    });

    void it('measures bytes, not characters', () => {
      // 8 197 characters but 16 386 bytes
      thenThrows(() => when(null, createCommand({ metadata: { a: 'é'.repeat(8_189) } })), 'VALIDATION_ERROR');
    });

    void it('must be an object', () => {
      for (const metadata of [[1, 2], 'text', 42]) {
        thenThrows(
          () => when(null, createCommand({ metadata: untyped<Record<string, unknown>>(metadata) })),
          'VALIDATION_ERROR',
        );
      }
    });

    void it('defaults to {} when absent or null', () => {
      for (const metadata of [undefined, null]) {
        const [e] = when(null, createCommand({ metadata: untyped<Record<string, unknown>>(metadata) }));
        assert.ok(e?.type === 'EscrowCreated');
        assert.deepEqual(e.data.metadata, {});
      }
    });
  });

  void describe('identifiers and payment', () => {
    for (const [field, value] of [
      ['offerId', ''],
      ['offerId', 'has space'],
      ['offerId', 'x'.repeat(129)],
      ['buyerId', 'a/b'],
      ['sellerId', 42],
      ['contractId', ''],
    ] as const) {
      void it(`refuses ${field} ${JSON.stringify(value).slice(0, 20)}`, () => {
        const err = thenThrows(
          () => when(null, createCommand(untyped<CreateOverrides>({ [field]: value })), { actor: actors.admin }),
          'VALIDATION_ERROR',
        );
        assert.equal(err.details.errors?.[0]?.field, field);
      });
    }

    void it('accepts a 128-character id', () => {
      assert.equal(when(null, createCommand({ offerId: 'o'.repeat(128) })).length, 1);
    });

    void it('requires payment instructions with a reference', () => {
      thenThrows(() => when(null, createCommand({ payment: { reference: '' } })), 'VALIDATION_ERROR');
      thenThrows(
        () => when(null, createCommand({ payment: untyped<{ reference: string }>(undefined) })),
        'VALIDATION_ERROR',
      );
    });
  });

  void it('is refused when the escrow already exists', () => {
    thenThrows(() => when(inStatus('AWAIT_FUNDS'), createCommand(), { actor: actors.admin }), 'ESCROW_ALREADY_EXISTS');
  });

  void it('every other command on no escrow is ESCROW_NOT_FOUND', () => {
    for (const type of COMMAND_TYPES.filter((t) => t !== 'CreateEscrow')) {
      thenThrows(() => when(null, validFor(type, null).command, { actor: actors.admin }), 'ESCROW_NOT_FOUND');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------

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
            reason: 'not as described',
            description: 'wrong item',
            evidence: ['photo-1'],
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

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------------
// The whole table: every status × every command, with a caller who may issue it and a valid payload.

interface ValidCommand {
  actor: ActorName;
  command: EscrowCommand;
  now?: string;
  /** Where the command is accepted (for the actor table). */
  home: EscrowStatus | null;
  /** Who may issue it, among buyer, seller, service, admin, system. */
  allowed: readonly ActorName[];
}

function validFor(type: CommandType, s: Escrow | null): ValidCommand {
  const settlementId = s?.settlements[0]?.id ?? 'no-settlement';
  switch (type) {
    case 'CreateEscrow':
      return { actor: 'buyer', command: createCommand(), home: null, allowed: ['buyer', 'seller', 'service', 'admin'] };
    case 'CancelEscrow':
      return { actor: 'buyer', command: { type }, home: 'AWAIT_FUNDS', allowed: ['buyer', 'seller', 'admin'] };
    case 'ConfirmPayment':
      return {
        actor: 'admin',
        command: { type, transactionId: 'manual-1', evidence: 'bank statement' },
        home: 'AWAIT_FUNDS',
        allowed: ['admin'],
      };
    case 'ReceivePayment':
      return {
        actor: 'system',
        command: { type, providerEventId: 'evt-9', transactionId: 'tx-9', amount: '10320', currency: 'USD' },
        home: 'AWAIT_FUNDS',
        allowed: ['system'],
      };
    case 'RecordPaymentFailure':
      return {
        actor: 'system',
        command: { type, providerEventId: 'evt-8', reason: 'card declined' },
        home: 'AWAIT_FUNDS',
        allowed: ['system'],
      };
    case 'MarkDelivered':
      return {
        actor: 'seller',
        command: { type, title: 'Delivered' },
        home: 'FUNDS_HELD',
        allowed: ['seller', 'admin'],
      };
    case 'ConfirmDelivery':
      return { actor: 'buyer', command: { type }, home: 'DELIVERED', allowed: ['buyer'] };
    case 'ReleaseEscrow':
      return { actor: 'admin', command: { type }, home: 'DELIVERED', allowed: ['admin'] };
    case 'RefundEscrow':
      return {
        actor: 'admin',
        command: { type, reason: 'goodwill' },
        home: 'FUNDS_HELD',
        allowed: ['seller', 'admin'],
      };
    case 'OpenDispute':
      return {
        actor: 'buyer',
        command: { type, reason: 'not received' },
        home: 'FUNDS_HELD',
        allowed: ['buyer', 'seller'],
      };
    case 'StartDisputeReview':
      return { actor: 'admin', command: { type, disputeId: DISPUTE_ID }, home: 'DISPUTED', allowed: ['admin'] };
    case 'ResolveDispute':
      return {
        actor: 'admin',
        command: { type, disputeId: DISPUTE_ID, resolution: 'RELEASE', reason: 'delivered as agreed' },
        home: 'DISPUTED',
        allowed: ['admin'],
      };
    case 'ExpireEscrow':
      return { actor: 'system', command: { type }, now: LATE, home: 'AWAIT_FUNDS', allowed: ['system', 'admin'] };
    case 'ApplyDeliveryTimeout':
      return {
        actor: 'system',
        command: { type, action: 'REFUND' },
        now: LATE,
        home: 'DELIVERED',
        allowed: ['system', 'admin'],
      };
    case 'RecordSettlementResult':
      return {
        actor: 'system',
        command: { type, settlementId, outcome: 'SUCCEEDED' },
        home: 'RELEASED',
        allowed: ['system'],
      };
    case 'RetrySettlement':
      return { actor: 'admin', command: { type, settlementId }, home: 'RELEASED', allowed: ['admin'] };
    default: {
      const _exhaustive: never = type;
      throw new Error(`no valid command for ${String(_exhaustive)}`);
    }
  }
}

/** Event types emitted, [] for "accepted, nothing changes", or the error code. */
type Outcome = readonly EventType[] | DomainErrorCode;
const IST = 'INVALID_STATE_TRANSITION';

const EXPECTED: Record<CommandType, { from: Partial<Record<EscrowStatus, Outcome>>; otherwise: Outcome }> = {
  CreateEscrow: { from: {}, otherwise: 'ESCROW_ALREADY_EXISTS' },
  CancelEscrow: { from: { AWAIT_FUNDS: ['EscrowCancelled'] }, otherwise: IST },
  ConfirmPayment: { from: { AWAIT_FUNDS: ['EscrowFundsHeld'] }, otherwise: IST },
  ReceivePayment: { from: { AWAIT_FUNDS: ['EscrowFundsHeld'] }, otherwise: ['EscrowFlaggedForReview'] },
  RecordPaymentFailure: { from: { AWAIT_FUNDS: ['PaymentFailed'] }, otherwise: [] },
  MarkDelivered: { from: { FUNDS_HELD: ['EscrowDelivered'] }, otherwise: IST },
  ConfirmDelivery: { from: { DELIVERED: ['DeliveryConfirmed', 'EscrowReleased'] }, otherwise: IST },
  ReleaseEscrow: { from: { DELIVERED: ['EscrowReleased'] }, otherwise: IST },
  RefundEscrow: { from: { FUNDS_HELD: ['EscrowRefunded'], DELIVERED: ['EscrowRefunded'] }, otherwise: IST },
  OpenDispute: {
    from: { FUNDS_HELD: ['DisputeOpened'], DELIVERED: ['DisputeOpened'], DISPUTED: 'DISPUTE_ALREADY_OPEN' },
    otherwise: IST,
  },
  // Dispute and settlement commands name a dispute/settlement: where there is none, that is the error.
  StartDisputeReview: { from: { DISPUTED: ['DisputeReviewStarted'], REFUNDED: IST }, otherwise: 'DISPUTE_NOT_FOUND' },
  ResolveDispute: {
    from: { DISPUTED: ['DisputeResolved', 'EscrowReleased'], REFUNDED: IST },
    otherwise: 'DISPUTE_NOT_FOUND',
  },
  ExpireEscrow: { from: { AWAIT_FUNDS: ['EscrowCancelled'] }, otherwise: IST },
  ApplyDeliveryTimeout: { from: { DELIVERED: ['EscrowRefunded'] }, otherwise: IST },
  RecordSettlementResult: {
    from: { RELEASED: ['SettlementSucceeded'], REFUNDED: ['SettlementSucceeded'] },
    otherwise: 'SETTLEMENT_NOT_FOUND',
  },
  RetrySettlement: { from: { RELEASED: ['SettlementRetried'], REFUNDED: IST }, otherwise: 'SETTLEMENT_NOT_FOUND' },
};

/** SPEC §3.1: where each status may lead (a status may also stay as it is). */
const NEXT: Record<EscrowStatus, readonly EscrowStatus[]> = {
  AWAIT_FUNDS: ['AWAIT_FUNDS', 'FUNDS_HELD', 'CANCELLED'],
  FUNDS_HELD: ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'REFUNDED'],
  DELIVERED: ['DELIVERED', 'RELEASED', 'DISPUTED', 'REFUNDED'],
  DISPUTED: ['DISPUTED', 'RELEASED', 'REFUNDED'],
  RELEASED: ['RELEASED'],
  REFUNDED: ['REFUNDED'],
  CANCELLED: ['CANCELLED'],
};

/** Commands whose rejection is the escrow's own status (so the error must name it). */
const STATUS_GUARDED: ReadonlySet<CommandType> = new Set([
  'CancelEscrow',
  'ConfirmPayment',
  'MarkDelivered',
  'ConfirmDelivery',
  'ReleaseEscrow',
  'RefundEscrow',
  'OpenDispute',
  'ExpireEscrow',
  'ApplyDeliveryTimeout',
]);

void describe('transition table: every status × every command', () => {
  for (const status of STATUSES) {
    void describe(`from ${status}`, () => {
      for (const type of COMMAND_TYPES) {
        const expected = EXPECTED[type].from[status] ?? EXPECTED[type].otherwise;
        const label = typeof expected === 'string' ? expected : `[${expected.join(', ')}]`;
        void it(`${type} → ${label}`, () => {
          const before = inStatus(status);
          const { actor, command, now } = validFor(type, before);
          const run = () => when(before, command, { actor: actors[actor], now: now ?? NOW });
          if (typeof expected === 'string') {
            const err = thenThrows(run, expected);
            if (expected === IST && STATUS_GUARDED.has(type)) {
              assert.equal(err.details.currentStatus, status);
              assert.match(err.message, new RegExp(`escrow is ${status}`));
            }
            return;
          }
          const events = run();
          assert.deepEqual(
            events.map((e) => e.type),
            expected,
          );
          const after = applyAll(before, events);
          assert.ok(after);
          assert.ok(NEXT[status].includes(after.status), `${status} → ${after.status} is not a SPEC transition`);
          assert.equal(after.version, before.version + events.length);
        });
      }
    });
  }
});

void describe('actor table: each command in a state that allows it, from every kind of caller', () => {
  const callers = ACTOR_NAMES.filter((n) => n !== 'stranger');
  for (const type of COMMAND_TYPES) {
    const { home, allowed } = validFor(type, null);
    for (const name of callers) {
      const may = allowed.includes(name);
      void it(`${type} by ${name} → ${may ? 'accepted' : 'FORBIDDEN'}`, () => {
        const before = home === null ? null : inStatus(home);
        const { command, now } = validFor(type, before);
        const run = () => when(before, command, { actor: actors[name], now: now ?? NOW });
        if (may) assert.ok(run().length > 0);
        else thenThrows(run, 'FORBIDDEN');
      });
    }
  }
});

void describe('a user who is neither buyer nor seller learns nothing', () => {
  for (const status of STATUSES) {
    void it(`every command on a ${status} escrow is ESCROW_NOT_FOUND`, () => {
      const before = inStatus(status);
      for (const type of COMMAND_TYPES.filter((t) => t !== 'CreateEscrow')) {
        const { command, now } = validFor(type, before);
        thenThrows(() => when(before, command, { actor: actors.stranger, now: now ?? NOW }), 'ESCROW_NOT_FOUND');
      }
    });
  }

  void it('whatever the payload, even a malformed one', () => {
    const s = inStatus('FUNDS_HELD');
    thenThrows(
      () => when(s, { type: 'RefundEscrow', reason: '', refundAmount: '-5' }, { actor: actors.stranger }),
      'ESCROW_NOT_FOUND',
    );
    thenThrows(() => when(s, { type: 'MarkDelivered', title: '' }, { actor: actors.stranger }), 'ESCROW_NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('helpers', () => {
  void it('splitHolding keeps buyer + seller + fee = funded', () => {
    const s = inStatus('FUNDS_HELD');
    for (const principal of [0n, 1n, 2_500n, 5_000n, 9_999n, 10_000n]) {
      const { buyerAmount, sellerAmount, feeAmount } = splitHolding(s, principal);
      assert.equal(buyerAmount + sellerAmount + feeAmount, s.fundedAmount, `principal ${principal}`);
      assert.ok(sellerAmount >= 0n);
    }
  });

  void it('isTerminal is exactly RELEASED, REFUNDED, CANCELLED', () => {
    assert.deepEqual(
      STATUSES.filter((s) => isTerminal(s)),
      ['RELEASED', 'REFUNDED', 'CANCELLED'],
    );
  });

  void it('addDays works in UTC days', () => {
    assert.equal(addDays('2025-03-29T12:00:00.000Z', 2), '2025-03-31T12:00:00.000Z');
  });

  void it('decide stamps every event with the context time and actor', () => {
    const events = decide({ type: 'ConfirmDelivery' }, inStatus('DELIVERED'), {
      now: LATE,
      actor: actors.buyer,
      policy: DEFAULT_POLICY,
      newId: (p) => `x-${p}`,
    });
    assert.deepEqual(
      events.map((e) => [e.occurredAt, e.actorId]),
      [
        [LATE, BUYER_ID],
        [LATE, BUYER_ID],
      ],
    );
  });

  void it('given() folds to null for no events', () => {
    assert.equal(given([]), null);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// Whole flows through decide → evolve → ledger postings, checking the SPEC §2 invariants after every step.

void describe('flows with the ledger', () => {
  const step = (run: EscrowRun, actor: ActorName, command: EscrowCommand): EventPayload[] => {
    const events = run.run(actors[actor], command);
    assert.deepEqual(run.violations(), [], `after ${command.type}`);
    return events;
  };

  void it('STRIPE: pay, deliver, confirm, payout succeeds — platform keeps both fees', () => {
    const run = new EscrowRun();
    step(run, 'buyer', createCommand());
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e1',
      transactionId: 'tx-1',
      amount: '10320',
      currency: 'USD',
    });
    assert.equal(run.balance(accounts.holding(run.escrowId)), 10_320n);
    assert.equal(run.balance(accounts.external('STRIPE')), -10_320n);
    step(run, 'seller', { type: 'MarkDelivered', title: 'done' });
    step(run, 'buyer', { type: 'ConfirmDelivery' });
    assert.equal(run.balance(accounts.holding(run.escrowId)), 0n);
    assert.equal(run.balance(accounts.sellerPayable(run.escrowId)), 9_950n);
    assert.equal(run.balance(accounts.feeRevenue), 370n);
    const payoutId = run.escrow.settlements[0]?.id ?? '';
    step(run, 'system', { type: 'RecordSettlementResult', settlementId: payoutId, outcome: 'FAILED', reason: 'x' });
    step(run, 'admin', { type: 'RetrySettlement', settlementId: payoutId });
    step(run, 'system', { type: 'RecordSettlementResult', settlementId: payoutId, outcome: 'SUCCEEDED' });
    assert.equal(run.balance(accounts.sellerPayable(run.escrowId)), 0n);
    assert.equal(run.balance(accounts.external('STRIPE')), -370n);
    assert.equal(run.escrow.version, run.events.length);
    assert.deepEqual(given(run.events), run.escrow);
  });

  void it('partial refund: both settlements succeed and every account but fees ends at zero', () => {
    const run = new EscrowRun();
    step(run, 'service', createCommand());
    step(run, 'admin', { type: 'ConfirmPayment', transactionId: 'wire-1', evidence: 'statement' });
    step(run, 'admin', { type: 'RefundEscrow', refundAmount: '9500', reason: 'partly delivered' });
    for (const s of run.escrow.settlements) {
      step(run, 'system', { type: 'RecordSettlementResult', settlementId: s.id, outcome: 'SUCCEEDED' });
    }
    assert.equal(run.balance(accounts.feeRevenue), 322n);
    assert.equal(run.balance(accounts.external('STRIPE')), -322n);
    assert.equal(run.balance(accounts.buyerRefundable(run.escrowId)), 0n);
  });

  void it('dispute split on USDC_BASE: 50 bps seller fee pro rata', () => {
    const run = new EscrowRun();
    step(run, 'seller', createCommand({ rail: 'USDC_BASE', currency: 'USDC', amount: '1000000' }));
    assert.equal(run.escrow.sellerFee, 5_000n);
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: '0xabc',
      amount: '1000000',
      currency: 'USDC',
    });
    step(run, 'seller', { type: 'OpenDispute', reason: 'buyer went silent' });
    const disputeId = run.escrow.disputes[0]?.id ?? '';
    step(run, 'admin', { type: 'StartDisputeReview', disputeId });
    const events = step(run, 'admin', {
      type: 'ResolveDispute',
      disputeId,
      resolution: 'SPLIT',
      buyerAmount: '250000',
      reason: 'half delivered',
    });
    const refund = events.find((e) => e.type === 'EscrowRefunded');
    assert.ok(refund?.type === 'EscrowRefunded');
    // seller share 750000 → fee 3750
    assert.deepEqual(
      [refund.data.buyerAmount, refund.data.sellerAmount, refund.data.feeAmount],
      ['250000', '746250', '3750'],
    );
  });

  void it('timeout refund after delivery, and a cancelled escrow holds nothing', () => {
    const run = new EscrowRun();
    step(run, 'buyer', createCommand({ rail: 'SANDBOX' }));
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: 't',
      amount: '10000',
      currency: 'USD',
    });
    step(run, 'admin', { type: 'MarkDelivered', title: 'sent' });
    run.advance(7 * 86_400_000);
    step(run, 'system', { type: 'ApplyDeliveryTimeout', action: 'REFUND' });
    assert.equal(run.escrow.refundedAmount, 10_000n);

    const cancelled = new EscrowRun('esc-2');
    step(cancelled, 'buyer', createCommand());
    cancelled.advance(7 * 86_400_000);
    step(cancelled, 'system', { type: 'ExpireEscrow' });
    assert.equal(cancelled.escrow.status, 'CANCELLED');
    assert.equal(cancelled.entries.length, 0);
  });
});
