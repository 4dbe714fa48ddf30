import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from './errors.js';
import { MAX_MINOR, applyBps, divHalfEven, formatMajor, parseMinor, parsePositiveMinor } from './money.js';

const rejectsAmount = (fn: () => unknown, field = 'amount') =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError);
    assert.equal(err.code, 'INVALID_AMOUNT');
    assert.equal(err.details.errors?.[0]?.field, field);
    return true;
  });

void describe('parseMinor', () => {
  void it('parses digit strings into bigint minor units', () => {
    assert.equal(parseMinor('0'), 0n);
    assert.equal(parseMinor('1'), 1n);
    assert.equal(parseMinor('10000'), 10_000n);
    assert.equal(parseMinor('1000000000000000'), MAX_MINOR);
  });

  void it('accepts a bigint within range as is', () => {
    assert.equal(parseMinor(42n), 42n);
    assert.equal(parseMinor(0n), 0n);
    assert.equal(parseMinor(MAX_MINOR), MAX_MINOR);
  });

  for (const bad of ['-1', '1.5', '1e3', ' 1', '1 ', '01', '00', '+1', '', 'abc', '0x10', '1_000', '١٢']) {
    void it(`rejects the string ${JSON.stringify(bad)}`, () => rejectsAmount(() => parseMinor(bad)));
  }

  const nonStrings: [string, unknown][] = [
    ['number 1', 1],
    ['number 0', 0],
    ['number 1.5', 1.5],
    ['NaN', Number.NaN],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
    ['an array', ['1']],
    ['a boolean', true],
  ];
  for (const [label, bad] of nonStrings) {
    void it(`rejects ${label}`, () => rejectsAmount(() => parseMinor(bad)));
  }

  void it('rejects amounts above 10^15, as strings and bigints', () => {
    rejectsAmount(() => parseMinor('1000000000000001'));
    rejectsAmount(() => parseMinor('999999999999999999'));
    rejectsAmount(() => parseMinor('99999999999999999999999'));
    rejectsAmount(() => parseMinor(MAX_MINOR + 1n));
  });

  void it('rejects negative bigints', () => rejectsAmount(() => parseMinor(-1n)));

  void it('names the field in the error', () => rejectsAmount(() => parseMinor('x', 'refundAmount'), 'refundAmount'));
});

void describe('parsePositiveMinor', () => {
  void it('accepts 1 and above', () => {
    assert.equal(parsePositiveMinor('1'), 1n);
    assert.equal(parsePositiveMinor('10000'), 10_000n);
  });

  void it('rejects zero', () => {
    rejectsAmount(() => parsePositiveMinor('0'));
    rejectsAmount(() => parsePositiveMinor(0n));
  });

  for (const bad of ['-1', '1.5', '1e3', ' 1', '01', '1000000000000001']) {
    void it(`rejects ${JSON.stringify(bad)} like parseMinor`, () => rejectsAmount(() => parsePositiveMinor(bad)));
  }

  void it('rejects numbers', () => rejectsAmount(() => parsePositiveMinor(5)));
});

void describe('divHalfEven', () => {
  const cases: [bigint, bigint, bigint][] = [
    // ties go to the even neighbour
    [5n, 2n, 2n],
    [15n, 10n, 2n],
    [25n, 10n, 2n],
    [35n, 10n, 4n],
    [45n, 10n, 4n],
    [1n, 2n, 0n],
    [3n, 2n, 2n],
    // non-ties round to nearest
    [14n, 10n, 1n],
    [16n, 10n, 2n],
    [24n, 10n, 2n],
    [26n, 10n, 3n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [10n, 3n, 3n],
    // exact
    [0n, 7n, 0n],
    [20n, 10n, 2n],
    [7n, 1n, 7n],
  ];
  for (const [n, d, q] of cases) {
    void it(`${n}/${d} → ${q}`, () => assert.equal(divHalfEven(n, d), q));
  }

  void it('handles amounts far beyond Number precision', () => {
    assert.equal(divHalfEven(MAX_MINOR * 290n + 5_000n, 10_000n), (MAX_MINOR * 29n) / 1000n);
    assert.equal(divHalfEven(MAX_MINOR * 290n + 15_000n, 10_000n), (MAX_MINOR * 29n) / 1000n + 2n);
  });

  void it('rejects a negative numerator or a non-positive divisor', () => {
    assert.throws(() => divHalfEven(-1n, 2n), RangeError);
    assert.throws(() => divHalfEven(1n, 0n), RangeError);
    assert.throws(() => divHalfEven(1n, -2n), RangeError);
  });
});

void describe('applyBps', () => {
  void it('takes basis points of an amount', () => {
    assert.equal(applyBps(10_000n, 290n), 290n);
    assert.equal(applyBps(10_000n, 0n), 0n);
    assert.equal(applyBps(10_000n, 10_000n), 10_000n);
    assert.equal(applyBps(1_000_000n, 50n), 5_000n);
  });

  void it('rounds half to even', () => {
    assert.equal(applyBps(500n, 290n), 14n); // 14.5
    assert.equal(applyBps(1_500n, 290n), 44n); // 43.5
    assert.equal(applyBps(2_500n, 290n), 72n); // 72.5
    assert.equal(applyBps(100n, 50n), 0n); // 0.5
    assert.equal(applyBps(300n, 50n), 2n); // 1.5
  });

  void it('rounds non-ties to nearest', () => {
    assert.equal(applyBps(1_234n, 290n), 36n); // 35.786
    assert.equal(applyBps(1_001n, 290n), 29n); // 29.029
  });
});

void describe('formatMajor', () => {
  const cases: [bigint, number, string][] = [
    [10_050n, 2, '100.50'],
    [10_000n, 2, '100.00'],
    [5n, 2, '0.05'],
    [0n, 2, '0.00'],
    [-5n, 2, '-0.05'],
    [-12_345n, 2, '-123.45'],
    [1n, 6, '0.000001'],
    [1_500_000n, 6, '1.500000'],
    [123n, 0, '123'],
    [MAX_MINOR, 2, '10000000000000.00'],
  ];
  for (const [minor, exp, s] of cases) {
    void it(`${minor} with exponent ${exp} → ${s}`, () => assert.equal(formatMajor(minor, exp), s));
  }
});
