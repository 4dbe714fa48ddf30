import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configureUsdc, usdcVariables } from './config.js';

describe('USDC_BASE: configuration', () => {
  const ctx = { production: false, listed: true, apiUrl: 'http://localhost:3000' };
  const full = {
    CUSTODIAN_API_URL: 'https://custodian.example',
    CUSTODIAN_API_KEY: 'k'.repeat(20),
    CUSTODIAN_WEBHOOK_SECRET: 's'.repeat(20),
  };

  it('not listed: disabled, nothing required', () => {
    assert.deepEqual(configureUsdc({}, { ...ctx, listed: false }).problems, []);
    assert.equal(configureUsdc({}, { ...ctx, listed: false }).enabled, false);
  });

  it('listed: URL, key and secret required; defaults 12 confirmations and 10 s', () => {
    const out = configureUsdc({}, ctx);
    assert.equal(out.problems.length, 3);
    assert.match(out.problems.join('\n'), /CUSTODIAN_API_URL.*\n.*CUSTODIAN_API_KEY.*\n.*CUSTODIAN_WEBHOOK_SECRET/);
    const ok = configureUsdc(full, ctx);
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.enabled, true);
    assert.deepEqual(ok.settings, {
      apiUrl: 'https://custodian.example',
      apiKey: 'k'.repeat(20),
      webhookSecret: 's'.repeat(20),
      minConfirmations: 12,
      timeoutMs: 10_000,
    });
    assert.equal(
      configureUsdc({ ...full, USDC_MIN_CONFIRMATIONS: '30', CUSTODIAN_TIMEOUT_MS: '2500' }, ctx).settings
        .minConfirmations,
      30,
    );
  });

  it('production needs https; the webhook secret must differ from the key', () => {
    assert.deepEqual(configureUsdc({ ...full, CUSTODIAN_API_URL: 'http://custodian.internal' }, ctx).problems, []);
    assert.match(
      configureUsdc(
        { ...full, CUSTODIAN_API_URL: 'http://custodian.internal' },
        { ...ctx, production: true },
      ).problems.join(),
      /https/,
    );
    assert.match(
      configureUsdc({ ...full, CUSTODIAN_WEBHOOK_SECRET: full.CUSTODIAN_API_KEY }, ctx).problems.join(),
      /differ/,
    );
  });

  it('variables: lengths and integers validated', () => {
    const ok = (name: keyof typeof usdcVariables, v: string) => usdcVariables[name].safeParse(v).success;
    assert.equal(ok('CUSTODIAN_API_KEY', 'short'), false);
    assert.equal(ok('CUSTODIAN_WEBHOOK_SECRET', 'x'.repeat(15)), false);
    assert.equal(ok('CUSTODIAN_WEBHOOK_SECRET', 'x'.repeat(16)), true);
    assert.equal(ok('CUSTODIAN_API_URL', 'not a url'), false);
    assert.equal(ok('USDC_MIN_CONFIRMATIONS', '0'), false);
    assert.equal(ok('USDC_MIN_CONFIRMATIONS', '1'), true);
    assert.equal(ok('USDC_MIN_CONFIRMATIONS', '2.5'), false);
    assert.equal(ok('CUSTODIAN_TIMEOUT_MS', '-1'), false);
  });
});
