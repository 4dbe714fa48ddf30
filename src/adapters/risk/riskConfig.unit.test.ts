import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configureRisk, riskVariables } from './config.js';

describe('risk configuration', () => {
  const dev = { production: false };

  it('defaults: static, public URLs, 1 day cache, 5 s timeout', () => {
    assert.deepEqual(configureRisk({}, { production: true }), {
      settings: {
        screener: 'static',
        chainalysis: { apiUrl: 'https://public.chainalysis.com', apiKey: '' },
        trm: { apiUrl: 'https://api.trmlabs.com', apiKey: '' },
        cacheTtlSeconds: 86_400,
        timeoutMs: 5_000,
        staticDenylist: [],
        staticReviewlist: [],
      },
      problems: [],
    });
  });

  it('each real screener needs its key', () => {
    assert.match(configureRisk({ RISK_SCREENER: 'chainalysis' }, dev).problems.join(), /CHAINALYSIS_API_KEY: required/);
    assert.match(configureRisk({ RISK_SCREENER: 'trm' }, dev).problems.join(), /TRM_API_KEY: required/);
    assert.equal(configureRisk({ RISK_SCREENER: 'chainalysis+trm' }, dev).problems.length, 2);
    assert.deepEqual(configureRisk({ RISK_SCREENER: 'trm', TRM_API_KEY: 'k'.repeat(10) }, dev).problems, []);
  });

  it('production needs https; the cache TTL is bounded; lists are for the static screener and disjoint', () => {
    const raw = { RISK_SCREENER: 'trm', TRM_API_KEY: 'k'.repeat(10), TRM_API_URL: 'http://trm.internal' };
    assert.deepEqual(configureRisk(raw, dev).problems, []);
    assert.match(configureRisk(raw, { production: true }).problems.join(), /TRM_API_URL: must be an https/);
    assert.match(configureRisk({ RISK_CACHE_TTL_SECONDS: '2592001' }, dev).problems.join(), /at most/);
    assert.match(
      configureRisk({ RISK_STATIC_DENYLIST: '0xA', RISK_STATIC_REVIEWLIST: '0xa' }, dev).problems.join(),
      /both lists/,
    );
    assert.match(
      configureRisk({ ...raw, RISK_STATIC_DENYLIST: '0xa' }, dev).problems.join(),
      /only used with RISK_SCREENER=static/,
    );
    assert.deepEqual(configureRisk({ RISK_STATIC_DENYLIST: ' 0xAb, ,0xcd ' }, dev).settings.staticDenylist, [
      '0xab',
      '0xcd',
    ]);
  });

  it('variables: screener names, integers, key lengths', () => {
    const ok = (name: keyof typeof riskVariables, v: string) => riskVariables[name].safeParse(v).success;
    assert.equal(ok('RISK_SCREENER', 'chainalysis+trm'), true);
    assert.equal(ok('RISK_SCREENER', 'elliptic'), false);
    assert.equal(ok('RISK_CACHE_TTL_SECONDS', '0'), false, 'never forever, never zero');
    assert.equal(ok('RISK_CACHE_TTL_SECONDS', '60'), true);
    assert.equal(ok('RISK_TIMEOUT_MS', '1.5'), false);
    assert.equal(ok('TRM_API_KEY', 'short'), false);
    assert.equal(ok('CHAINALYSIS_API_URL', 'public.chainalysis.com'), false);
  });
});
