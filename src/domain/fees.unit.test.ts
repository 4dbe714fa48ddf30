import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FEES, computeFees, feeFor, type FeeSchedule } from './fees.js';

void describe('DEFAULT_FEES (SPEC §2)', () => {
  void it('STRIPE: buyer 290 bps + 30, seller fixed 50', () => {
    assert.deepEqual(DEFAULT_FEES.STRIPE, { buyer: { bps: 290n, fixed: 30n }, seller: { bps: 0n, fixed: 50n } });
  });

  void it('USDC_BASE: seller 50 bps, buyer nothing', () => {
    assert.deepEqual(DEFAULT_FEES.USDC_BASE, { buyer: { bps: 0n, fixed: 0n }, seller: { bps: 50n, fixed: 0n } });
  });

  void it('SANDBOX and PAYSTACK: no fees', () => {
    for (const rail of ['SANDBOX', 'PAYSTACK'] as const) {
      assert.deepEqual(DEFAULT_FEES[rail], { buyer: { bps: 0n, fixed: 0n }, seller: { bps: 0n, fixed: 0n } });
    }
  });
});

void describe('computeFees with the defaults', () => {
  const cases: [keyof FeeSchedule, bigint, bigint, bigint, string][] = [
    ['STRIPE', 10_000n, 320n, 50n, 'USD 100.00: 290 + 30 buyer, 50 seller'],
    ['STRIPE', 1n, 30n, 50n, '1 cent: bps round to 0, fixed parts remain'],
    ['STRIPE', 500n, 44n, 50n, 'tie 14.5 rounds down to even 14, + 30'],
    ['STRIPE', 1_500n, 74n, 50n, 'tie 43.5 rounds up to even 44, + 30'],
    ['STRIPE', 2_500n, 102n, 50n, 'tie 72.5 rounds down to even 72, + 30'],
    ['STRIPE', 1_234n, 66n, 50n, '35.786 rounds to 36, + 30'],
    ['STRIPE', 123_456_789n, 3_580_277n, 50n, '3 580 246.881 rounds to 3 580 247, + 30'],
    ['USDC_BASE', 1_000_000n, 0n, 5_000n, '1 USDC: 50 bps seller'],
    ['USDC_BASE', 100n, 0n, 0n, 'tie 0.5 rounds down to even 0'],
    ['USDC_BASE', 300n, 0n, 2n, 'tie 1.5 rounds up to even 2'],
    ['USDC_BASE', 500n, 0n, 2n, 'tie 2.5 rounds down to even 2'],
    ['USDC_BASE', 250_000_000n, 0n, 1_250_000n, '250 USDC'],
    ['SANDBOX', 10_000n, 0n, 0n, 'no fees'],
    ['PAYSTACK', 5_000_000n, 0n, 0n, 'no fees'],
  ];
  for (const [rail, amount, buyerFee, sellerFee, why] of cases) {
    void it(`${rail} ${amount} → buyer ${buyerFee}, seller ${sellerFee} (${why})`, () => {
      assert.deepEqual(computeFees(DEFAULT_FEES, rail, amount), { buyerFee, sellerFee });
    });
  }
});

void describe('feeFor', () => {
  void it('adds the fixed part to the half-even bps part', () => {
    assert.equal(feeFor({ bps: 100n, fixed: 7n }, 150n), 9n); // 1.5 → 2, + 7
    assert.equal(feeFor({ bps: 100n, fixed: 7n }, 250n), 9n); // 2.5 → 2, + 7
    assert.equal(feeFor({ bps: 0n, fixed: 0n }, 10_000n), 0n);
  });

  void it('uses a configured schedule rather than the defaults', () => {
    const schedule: FeeSchedule = {
      ...DEFAULT_FEES,
      SANDBOX: { buyer: { bps: 100n, fixed: 1n }, seller: { bps: 200n, fixed: 2n } },
    };
    assert.deepEqual(computeFees(schedule, 'SANDBOX', 10_000n), { buyerFee: 101n, sellerFee: 202n });
  });
});
