import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './index.js';
import { problemsOf } from './problems.kit.js';

describe('ADMIN_APPROVAL_THRESHOLD and ADMIN_APPROVAL_TTL_HOURS (dual control)', () => {
  it('unset: off, proposals would wait 24 h', () => {
    assert.deepEqual(loadConfig({}).approvals, { thresholds: {}, ttlMs: 86_400_000 });
  });

  it('per currency in minor units, as bigints; the TTL in hours', () => {
    const c = loadConfig({ ADMIN_APPROVAL_THRESHOLD: 'USD:1000000,EUR:0', ADMIN_APPROVAL_TTL_HOURS: '4' });
    assert.deepEqual(c.approvals, { thresholds: { USD: 1_000_000n, EUR: 0n }, ttlMs: 4 * 3_600_000 });
  });

  it('a malformed value, an unknown or repeated currency and a TTL out of range are named at start', () => {
    const bad = problemsOf({ ADMIN_APPROVAL_THRESHOLD: 'USD=100' });
    assert.ok(
      bad.some((p) => /ADMIN_APPROVAL_THRESHOLD.*USD:1000000,EUR:1000000/.test(p)),
      bad.join('\n'),
    );
    assert.deepEqual(
      problemsOf({ ADMIN_APPROVAL_THRESHOLD: 'USD:1,JPY:5,USD:2' }).filter((p) => p.startsWith('ADMIN_APPROVAL')),
      [
        'ADMIN_APPROVAL_THRESHOLD: JPY is not a currency of ESCROW_CURRENCIES (USD, EUR, GBP, NGN, USDC)',
        'ADMIN_APPROVAL_THRESHOLD: USD is named twice',
      ],
    );
    assert.deepEqual(
      problemsOf({ ADMIN_APPROVAL_THRESHOLD: 'JPY:5', ESCROW_CURRENCIES: 'JPY:0' }).filter((p) =>
        p.startsWith('ADMIN_APPROVAL'),
      ),
      [],
      'a currency of ESCROW_CURRENCIES is accepted',
    );
    for (const ttl of ['0', '169', 'x']) {
      const p = problemsOf({ ADMIN_APPROVAL_TTL_HOURS: ttl });
      assert.ok(
        p.some((m) => m.includes('ADMIN_APPROVAL_TTL_HOURS')),
        `${ttl}: ${p.join('\n')}`,
      );
    }
  });
});
