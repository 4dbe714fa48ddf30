import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RAIL_LIMITS } from '../domain/index.js';
import { ConfigError, loadConfig } from './index.js';

const problemsOf = (value: string): string[] => {
  try {
    loadConfig({ ESCROW_RAIL_LIMITS: value });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
};

const DIGITS = 'a digit string of minor units from 0 to 1000000000000000, in quotes, like "50"';

void describe('ESCROW_RAIL_LIMITS', () => {
  void it('unset: the defaults', () => {
    assert.deepEqual(loadConfig({}).policy.railLimits, DEFAULT_RAIL_LIMITS);
  });

  void it('replaces the rail and currency pairs it names and keeps every other default', () => {
    const { railLimits } = loadConfig({
      ESCROW_RAIL_LIMITS: JSON.stringify({
        STRIPE: { USD: { min: '100', max: '1000000' } },
        USDC_BASE: { USDC: { min: '0', max: null } },
        PAYSTACK: { NGN: { min: '5000', max: '500000000' } },
      }),
    }).policy;
    assert.deepEqual(railLimits.STRIPE.USD, { min: 100n, max: 1_000_000n });
    assert.deepEqual(railLimits.STRIPE.EUR, DEFAULT_RAIL_LIMITS.STRIPE.EUR);
    assert.deepEqual(railLimits.STRIPE.GBP, DEFAULT_RAIL_LIMITS.STRIPE.GBP);
    assert.deepEqual(railLimits.USDC_BASE.USDC, { min: 0n, max: null });
    assert.deepEqual(railLimits.PAYSTACK.NGN, { min: 5000n, max: 500_000_000n });
    assert.deepEqual(railLimits.SANDBOX, {});
  });

  void it('a limit on SANDBOX is taken too (a test deployment that mirrors production)', () => {
    const { railLimits } = loadConfig({ ESCROW_RAIL_LIMITS: '{"SANDBOX":{"USD":{"min":"1","max":"1000000"}}}' }).policy;
    assert.deepEqual(railLimits.SANDBOX, { USD: { min: 1n, max: 1_000_000n } });
  });

  const refused: [string, string, string[]][] = [
    ['not JSON', '{STRIPE', ['ESCROW_RAIL_LIMITS: must be JSON, like {"STRIPE":{"USD":{"min":"50","max":"1000000"}}}']],
    [
      'not an object',
      '[]',
      [
        'ESCROW_RAIL_LIMITS: must be a JSON object of rail → currency → {min, max}, like ' +
          '{"STRIPE":{"USD":{"min":"50","max":"1000000"}}}',
      ],
    ],
    [
      'an unknown rail',
      '{"PAYPAL":{"USD":{"min":"1","max":"2"}}}',
      ['ESCROW_RAIL_LIMITS.PAYPAL: unknown rail (one of SANDBOX, STRIPE, USDC_BASE, PAYSTACK)'],
    ],
    [
      'a rail that is not an object',
      '{"STRIPE":5}',
      ['ESCROW_RAIL_LIMITS.STRIPE: must be an object of currency → {min, max}'],
    ],
    [
      'a bad currency code',
      '{"STRIPE":{"usd":{"min":"1","max":"2"}}}',
      ['ESCROW_RAIL_LIMITS.STRIPE.usd: must be a currency code of 3-5 capital letters, like USD'],
    ],
    [
      'a currency the rail does not take',
      '{"STRIPE":{"NGN":{"min":"1","max":"2"}}}',
      ['ESCROW_RAIL_LIMITS.STRIPE.NGN: STRIPE does not take NGN (it takes USD, EUR, GBP)'],
    ],
    [
      'min above max',
      '{"STRIPE":{"USD":{"min":"1000","max":"999"}}}',
      ['ESCROW_RAIL_LIMITS.STRIPE.USD: min 1000 is above max 999'],
    ],
    [
      'a JSON number, a decimal, a sign, a leading zero',
      '{"STRIPE":{"USD":{"min":50,"max":"10.00"},"EUR":{"min":"-1","max":"007"}}}',
      [
        `ESCROW_RAIL_LIMITS.STRIPE.USD.min: must be ${DIGITS}`,
        `ESCROW_RAIL_LIMITS.STRIPE.USD.max: must be ${DIGITS}, or null for no upper limit`,
        `ESCROW_RAIL_LIMITS.STRIPE.EUR.min: must be ${DIGITS}`,
        `ESCROW_RAIL_LIMITS.STRIPE.EUR.max: must be ${DIGITS}, or null for no upper limit`,
      ],
    ],
    [
      "above the engine's 10^15",
      '{"USDC_BASE":{"USDC":{"min":"1","max":"1000000000000001"}}}',
      [`ESCROW_RAIL_LIMITS.USDC_BASE.USDC.max: must be ${DIGITS}, or null for no upper limit`],
    ],
    [
      'min or max missing',
      '{"STRIPE":{"USD":{"min":"50"},"EUR":{"max":"50"}}}',
      [
        `ESCROW_RAIL_LIMITS.STRIPE.USD.max: required: ${DIGITS}, or null for no upper limit`,
        `ESCROW_RAIL_LIMITS.STRIPE.EUR.min: required: ${DIGITS}`,
      ],
    ],
    [
      'null for min',
      '{"STRIPE":{"USD":{"min":null,"max":"50"}}}',
      [`ESCROW_RAIL_LIMITS.STRIPE.USD.min: must be ${DIGITS}`],
    ],
    [
      'an unknown key',
      '{"STRIPE":{"USD":{"min":"50","max":"100","maxx":"1"}}}',
      ['ESCROW_RAIL_LIMITS.STRIPE.USD: unknown key "maxx" (only min and max)'],
    ],
    [
      'a max of 0',
      '{"STRIPE":{"USD":{"min":"0","max":"0"}}}',
      [
        'ESCROW_RAIL_LIMITS.STRIPE.USD.max: must be at least 1: 0 would refuse every escrow (to stop a currency, ' +
          'leave it out of ESCROW_CURRENCIES)',
      ],
    ],
  ];
  for (const [label, value, expected] of refused) {
    void it(`refuses ${label} at start, one line a problem`, () => {
      assert.deepEqual(problemsOf(value), expected);
    });
  }

  void it('names every problem at once, beside the other variables', () => {
    let problems: string[] = [];
    try {
      loadConfig({
        ESCROW_RAIL_LIMITS: '{"PAYPAL":{},"STRIPE":{"USD":{"min":"9","max":"1"}}}',
        PORT: 'eighty',
      });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      problems = err.problems;
    }
    assert.deepEqual(
      problems.filter((p) => p.startsWith('ESCROW_RAIL_LIMITS')),
      [
        'ESCROW_RAIL_LIMITS.PAYPAL: unknown rail (one of SANDBOX, STRIPE, USDC_BASE, PAYSTACK)',
        'ESCROW_RAIL_LIMITS.STRIPE.USD: min 9 is above max 1',
      ],
    );
    assert.ok(problems.some((p) => p.startsWith('PORT')));
  });
});
