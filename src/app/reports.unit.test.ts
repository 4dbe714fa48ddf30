import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blacklistCommand, parseSince, percent, shellQuote } from './reports.js';

describe('reports: the pure parts', () => {
  const now = new Date('2026-11-30T12:00:00.000Z');

  it('since: a duration back from now, or an ISO time in the past, at most 366 days back', () => {
    assert.equal(parseSince('24h', now).toISOString(), '2026-11-29T12:00:00.000Z');
    assert.equal(parseSince('7d', now).toISOString(), '2026-11-23T12:00:00.000Z');
    assert.equal(parseSince('90m', now).toISOString(), '2026-11-30T10:30:00.000Z');
    assert.equal(parseSince('2026-11-01T00:00:00Z', now).toISOString(), '2026-11-01T00:00:00.000Z');
    for (const bad of ['yesterday', '7w', '', '2026-12-01T00:00:00Z', '367d', '1700000000']) {
      assert.throws(() => parseSince(bad, now), /since/, bad);
    }
  });

  it('percent: two decimals rounded half up, in integers; null on nothing funded', () => {
    assert.equal(percent(3, 4), '75.00');
    assert.equal(percent(1, 3), '33.33');
    assert.equal(percent(2, 3), '66.67');
    assert.equal(percent(1, 8), '12.50');
    assert.equal(percent(0, 5), '0.00');
    assert.equal(percent(1, 0), null);
  });

  it('the blacklist command quotes what a shell would split', () => {
    assert.equal(shellQuote('seller-1'), 'seller-1');
    assert.equal(shellQuote("o'brien x"), `'o'\\''brien x'`);
    const w = { since: new Date('2026-11-23T12:00:00.000Z'), until: now, currency: null };
    const o = {
      role: 'SELLER' as const,
      userId: 'shop:7',
      disputes: 4,
      escrows: 3,
      lastDisputeAt: '',
      blacklisted: false,
    };
    assert.equal(
      blacklistCommand(o, w),
      "escrow blacklist add --kind USER --value shop:7 --reason 'RB-04: 4 disputes as seller in 7 days'",
    );
    const since = { ...w, since: new Date('2026-11-30T01:30:00.000Z') };
    assert.match(blacklistCommand(o, since), /in since 2026-11-30T01:30:00\.000Z'$/);
  });
});
