import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BUYER_ID,
  EXPIRES_AT,
  NOW,
  SELLER_ID,
  actors,
  createCommand,
  givenEscrow,
  then,
  thenThrows,
  when,
} from '../../../test/domainFixtures.js';
import { COMMAND_TYPES } from '../commands.js';
import { DEFAULT_POLICY } from '../policy.js';
import type { Rail } from '../types.js';
import { untyped, type CreateOverrides, inStatus, validFor } from './decider.kit.js';

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
      assert.equal(when(null, createCommand({ rail: 'SANDBOX', amount: '1000000000000000' })).length, 1);
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
