import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RiskCacheStore } from '../../app/ports/index.js';
import { configureRisk } from './config.js';
import { createRiskScreener } from './screening.js';

/**
 * The real screening APIs, when the run has keys: CHAINALYSIS_TEST_API_KEY (the free sanctions API) and
 * TRM_TEST_API_KEY. Without them each suite is one counted skip saying so.
 */
const noCache: RiskCacheStore = { get: () => Promise.resolve(null), put: () => Promise.resolve() };
// The Tornado Cash router, on OFAC's SDN list since 2022-08-08.
const SANCTIONED = '0x8589427373d6d84e98730d7795d8f6f8731fda16';
const CLEAN = '0x000000000000000000000000000000000000dead';

function live(name: string, variable: string, fn: (key: string) => void): void {
  const key = process.env[variable];
  describe(name, () => {
    if (key) fn(key);
    else it(`skipped: set ${variable} to run against the real API`, { skip: `needs ${variable}` }, () => undefined);
  });
}

live('Chainalysis sanctions API (live)', 'CHAINALYSIS_TEST_API_KEY', (key) => {
  const s = () =>
    createRiskScreener(
      configureRisk({ RISK_SCREENER: 'chainalysis', CHAINALYSIS_API_KEY: key }, { production: false }).settings,
      noCache,
    );

  it('a sanctioned address is REJECTed, a clean one PASSes', async () => {
    const bad = await s().screen({ address: SANCTIONED, chain: 'base', asset: 'USDC' });
    assert.deepEqual([bad.verdict, bad.sanctioned], ['REJECT', true]);
    const ok = await s().screen({ address: CLEAN, chain: 'base', asset: 'USDC' });
    assert.equal(ok.sanctioned, false);
  });
});

live('TRM address screening (live)', 'TRM_TEST_API_KEY', (key) => {
  it('answers a score for an address', async () => {
    const s = createRiskScreener(
      configureRisk({ RISK_SCREENER: 'trm', TRM_API_KEY: key }, { production: false }).settings,
      noCache,
    );
    const out = await s.screen({ address: SANCTIONED, chain: 'ethereum', asset: 'USDC' });
    assert.ok(out.score !== null && out.score >= 0 && out.score <= 100);
    assert.equal(out.verdict, 'REJECT');
  });
});
