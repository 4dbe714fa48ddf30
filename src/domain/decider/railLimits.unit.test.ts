import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actors, context, createCommand, thenThrows, when } from '../../../test/domainFixtures.js';
import type { AmountRange, EscrowPolicy } from '../commands.js';
import { decideCreation } from '../decider.js';
import { DEFAULT_POLICY, DEFAULT_RAIL_LIMITS } from '../policy.js';
import type { Actor, Rail } from '../types.js';

// Rail limits per escrow: what the buyer pays (amount + buyer fee) must be inside the rail's range for the currency.

type Create = Parameters<typeof createCommand>[0];

/** DEFAULT_POLICY with one rail and currency's range replaced. */
function withLimit(rail: Rail, currency: string, range: AmountRange | undefined): EscrowPolicy {
  const railLimits = { ...DEFAULT_POLICY.railLimits[rail] };
  if (range) railLimits[currency] = range;
  else delete railLimits[currency];
  return { ...DEFAULT_POLICY, railLimits: { ...DEFAULT_POLICY.railLimits, [rail]: railLimits } };
}

const accepts = (overrides: Create, policy: EscrowPolicy = DEFAULT_POLICY, actor: Actor = actors.admin) => {
  const [e] = when(null, createCommand(overrides), { policy, actor });
  assert.ok(e?.type === 'EscrowCreated');
  return e.data;
};

const refuses = (overrides: Create, policy: EscrowPolicy = DEFAULT_POLICY, actor: Actor = actors.admin) =>
  thenThrows(() => when(null, createCommand(overrides), { policy, actor }), 'AMOUNT_OUTSIDE_RAIL_LIMITS');

/** A service or admin caller without fees: the amount is exactly what the buyer pays. */
const noFees = { buyerFee: '0', sellerFee: '0' };

void describe('rail limits on create', () => {
  void describe('defaults (DEFAULT_RAIL_LIMITS)', () => {
    void it('has a range for every currency each paying rail takes, and none for SANDBOX', () => {
      assert.deepEqual(Object.keys(DEFAULT_RAIL_LIMITS.SANDBOX), []);
      for (const rail of ['STRIPE', 'USDC_BASE', 'PAYSTACK'] as const) {
        assert.deepEqual(
          Object.keys(DEFAULT_RAIL_LIMITS[rail]).sort(),
          [...DEFAULT_POLICY.railCurrencies[rail]].sort(),
        );
      }
    });

    const minimums: [Rail, string, bigint][] = [
      ['STRIPE', 'USD', 50n],
      ['STRIPE', 'EUR', 50n],
      ['STRIPE', 'GBP', 30n],
      ['PAYSTACK', 'NGN', 5_000n],
      ['USDC_BASE', 'USDC', 1_000_000n],
    ];
    for (const [rail, currency, min] of minimums) {
      void it(`${rail} ${currency}: ${min} is accepted, ${min - 1n} refused`, () => {
        assert.equal(accepts({ rail, currency, amount: `${min}`, ...noFees }).amount, `${min}`);
        const err = refuses({ rail, currency, amount: `${min - 1n}`, ...noFees });
        assert.match(
          err.message,
          new RegExp(`^amount ${min - 1n} ${currency} is below the ${rail} minimum of ${min} `),
        );
        assert.deepEqual(err.details.errors, [
          { field: 'amount', message: `must be at least ${min} on ${rail} in ${currency}` },
        ]);
      });
    }

    void it('STRIPE: at most 10,000.00 USD per escrow, the buyer fee counted (971788 + 28212 = 1000000)', () => {
      const ok = accepts({ amount: '971788' }, DEFAULT_POLICY, actors.buyer);
      assert.equal(BigInt(ok.amount) + BigInt(ok.buyerFee), 1_000_000n);
      const err = refuses({ amount: '971789' }, DEFAULT_POLICY, actors.buyer);
      assert.equal(
        err.message,
        'amount 971789 USD with the buyer fee of 28212 (1000001 to pay) is above the STRIPE limit of 1000000 ' +
          '(10,000.00 USD) per escrow; the largest amount is 971788; use USDC_BASE (USDC) for larger amounts',
      );
      assert.deepEqual(err.details.errors, [
        { field: 'amount', message: 'must be at most 971788 on STRIPE in USD (with the buyer fee)' },
      ]);
    });

    void it('PAYSTACK NGN: 10,000,000.00 NGN is accepted, one kobo more refused', () => {
      const rc = { rail: 'PAYSTACK', currency: 'NGN' } as const;
      assert.equal(accepts({ ...rc, amount: '1000000000' }).amount, '1000000000');
      const err = refuses({ ...rc, amount: '1000000001' });
      assert.equal(
        err.message,
        'amount 1000000001 NGN is above the PAYSTACK limit of 1000000000 (10,000,000.00 NGN) per escrow; ' +
          'use USDC_BASE (USDC) for larger amounts',
      );
    });

    void it("USDC_BASE and SANDBOX have no upper limit below the engine's 10^15", () => {
      accepts({ rail: 'USDC_BASE', currency: 'USDC', amount: '1000000000000000' });
      for (const currency of DEFAULT_POLICY.railCurrencies.SANDBOX) {
        accepts({ rail: 'SANDBOX', currency, amount: '1' });
        accepts({ rail: 'SANDBOX', currency, amount: '1000000000000000' });
      }
    });
  });

  void describe('the buyer fee counts: the rail charges amount + buyer fee', () => {
    const capped = withLimit('STRIPE', 'USD', { min: 50n, max: 1_000_000n });

    void it('with the default STRIPE fees a 10,000.00 USD cap takes amounts up to 971788 (buyer pays 1000000)', () => {
      const ok = accepts({ amount: '971788' }, capped, actors.buyer);
      assert.equal(BigInt(ok.amount) + BigInt(ok.buyerFee), 1_000_000n);
      const err = refuses({ amount: '971789' }, capped, actors.buyer);
      assert.match(
        err.message,
        /\(1000001 to pay\) is above the STRIPE limit of 1000000 \(10,000\.00 USD\) per escrow/,
      );
    });

    void it('an amount equal to the cap is refused when a buyer fee comes on top, with a message a person can act on', () => {
      const err = refuses({ amount: '1500000' }, capped, actors.seller);
      assert.equal(
        err.message,
        'amount 1500000 USD with the buyer fee of 43530 (1543530 to pay) is above the STRIPE limit of 1000000 ' +
          '(10,000.00 USD) per escrow; the largest amount is 971788; use USDC_BASE (USDC) for larger amounts',
      );
      refuses({ amount: '1000000' }, capped, actors.seller);
      // without a buyer fee the cap itself fits
      assert.equal(accepts({ amount: '1000000', ...noFees }, capped).amount, '1000000');
      refuses({ amount: '1000001', ...noFees }, capped);
    });

    void it('a buyer fee set by the caller counts too, at the minimum as at the maximum', () => {
      accepts({ amount: '30', buyerFee: '20', sellerFee: '0' });
      const err = refuses({ amount: '29', buyerFee: '20', sellerFee: '0' });
      assert.equal(
        err.message,
        'amount 29 USD with the buyer fee of 20 (49 to pay) is below the STRIPE minimum of 50 (0.50 USD) per escrow; ' +
          'the smallest amount is 30',
      );
      assert.deepEqual(err.details.errors, [
        { field: 'amount', message: 'must be at least 30 on STRIPE in USD (with the buyer fee)' },
      ]);
      accepts({ amount: '999000', buyerFee: '1000', sellerFee: '0' }, capped);
      const above = refuses({ amount: '999001', buyerFee: '1000', sellerFee: '0' }, capped);
      assert.match(above.message, /the largest amount is 999000;/);
    });

    void it('a buyer fee that alone reaches the cap is named as the field to change', () => {
      const err = refuses({ amount: '60', buyerFee: '1000000', sellerFee: '0' }, capped);
      assert.equal(
        err.message,
        'the buyer fee of 1000000 USD alone leaves no amount within the STRIPE limit of 1000000 (10,000.00 USD) per escrow',
      );
      assert.equal(err.details.errors?.[0]?.field, 'buyerFee');
    });
  });

  void describe('the policy', () => {
    void it('a rail and currency without a range has only the engine range', () => {
      accepts({ amount: '1000000000000000' }, withLimit('STRIPE', 'USD', undefined));
      accepts({ amount: '1', ...noFees }, withLimit('STRIPE', 'USD', undefined));
    });

    void it('suggests only rails without an upper limit, and none when every rail has one', () => {
      const everyCapped = withLimit('USDC_BASE', 'USDC', { min: 1n, max: 10n ** 12n });
      const err = refuses({ rail: 'PAYSTACK', currency: 'NGN', amount: '1000000001' }, everyCapped);
      assert.equal(
        err.message,
        'amount 1000000001 NGN is above the PAYSTACK limit of 1000000000 (10,000,000.00 NGN) per escrow',
      );
    });

    void it('decideCreation, the Kafka-mode path, refuses the same create before any rail is asked', () => {
      const command = { ...createCommand({ rail: 'USDC_BASE', currency: 'USDC', amount: '999999' }) };
      delete (command as { payment?: unknown }).payment;
      thenThrows(() => decideCreation(command, null, context({ actor: actors.service })), 'AMOUNT_OUTSIDE_RAIL_LIMITS');
      const pending = decideCreation({ ...command, amount: '1000000' }, null, context({ actor: actors.service }));
      assert.equal(pending.due, 1_000_000n);
    });
  });
});
