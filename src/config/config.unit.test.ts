import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEV_SANDBOX_SECRET } from '../adapters/rails/sandbox/config.js';
import { ConfigError, loadConfig } from './index.js';
import { problemsOf } from './problems.kit.js';

describe('configuration', () => {
  it('embedded defaults: PGlite in ./data, idempotency responses in the database for 24 h', () => {
    const c = loadConfig({});
    assert.deepEqual(c.database, { mode: 'pglite', dataDir: './data' });
    assert.deepEqual(c.http.idempotency, { storage: 'postgres', ttlMs: 86_400_000, lockMs: 30_000 });
    assert.equal(c.port, 3000);
  });

  it('IDEMPOTENCY_STORAGE=redis with REDIS_URL; hours may be fractional', () => {
    const c = loadConfig({
      IDEMPOTENCY_STORAGE: 'redis',
      REDIS_URL: 'redis://127.0.0.1:6379',
      IDEMPOTENCY_TTL_HOURS: '0.5',
      IDEMPOTENCY_LOCK_SECONDS: '5',
    });
    assert.deepEqual(c.http.idempotency, { storage: 'redis', ttlMs: 1_800_000, lockMs: 5_000 });
    assert.equal(c.http.redisUrl, 'redis://127.0.0.1:6379');
  });

  it('DATABASE_SCHEMA puts every table of this installation in one schema', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://db/escrow',
      JWT_SECRET: 'x'.repeat(64),
      DATABASE_SCHEMA: 'escrow_a',
    });
    assert.equal(c.database.mode === 'postgres' ? c.database.schema : null, 'escrow_a');
    assert.ok(problemsOf({ DATABASE_SCHEMA: 'Robert"); DROP' }).some((m) => m.startsWith('DATABASE_SCHEMA')));
  });

  it('names every problem at once', () => {
    const problems = problemsOf({
      IDEMPOTENCY_STORAGE: 'redis',
      IDEMPOTENCY_TTL_HOURS: '-1',
      DATABASE_URL: 'postgres://db/escrow',
      PORT: 'eighty',
    });
    for (const p of [/IDEMPOTENCY_STORAGE: redis needs REDIS_URL/, /IDEMPOTENCY_TTL_HOURS/, /JWT_SECRET/, /PORT/]) {
      assert.ok(
        problems.some((m) => p.test(m)),
        `${String(p)} in ${problems.join('; ')}`,
      );
    }
    assert.ok(problemsOf({ IDEMPOTENCY_STORAGE: 'memcached' }).some((m) => m.startsWith('IDEMPOTENCY_STORAGE')));
  });

  it("IDEMPOTENCY_STORAGE=database (the deployment guide's name) is the engine's own database", () => {
    assert.equal(loadConfig({ IDEMPOTENCY_STORAGE: 'database' }).http.idempotency.storage, 'postgres');
    assert.equal(loadConfig({}).http.idempotency.storage, 'postgres');
  });

  it('a deployment-guide variable for a feature this version lacks is named in a warning, not silently ignored', () => {
    const c = loadConfig({
      SENTRY_DSN: 'https://k@sentry.example/1',
      WEB_APP_URL: 'https://market.example',
      FEATURE_KYC_GATING: 'true',
    });
    assert.deepEqual(c.warnings, [
      'SENTRY_DSN is set, but this version has no error reporting to Sentry: it is ignored',
      'WEB_APP_URL is set, but this version has no web app: it is ignored',
    ]);
    assert.deepEqual(loadConfig({}).warnings, []);
  });

  it('ESCROW_FEES may name one rail (the README example): the others keep their defaults', () => {
    const c = loadConfig({ ESCROW_FEES: '{"STRIPE":{"buyer":{"bps":100,"fixed":0},"seller":{"bps":0,"fixed":0}}}' });
    assert.equal(c.policy.fees.STRIPE.buyer.bps, 100n);
    assert.equal(c.policy.fees.USDC_BASE.seller.bps, 50n);
  });

  it('production: every problem in one message, each saying all its value needs (no second round)', () => {
    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/escrow',
      IDEMPOTENCY_STORAGE: 'redis',
      ESCROW_RAILS: 'SANDBOX,STRIPE',
    };
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      message = err.message;
    }
    const expected = [
      'JWT_SECRET: required when DATABASE_URL is set: at least 64 characters (or JWT_JWKS_URL)',
      'ESCROW_RAILS: SANDBOX is disabled in production unless SANDBOX_ENABLED=true (with a SANDBOX_WEBHOOK_SECRET of ' +
        'its own, at least 16 characters); or leave SANDBOX out of ESCROW_RAILS',
      'STRIPE_SECRET_KEY: required when STRIPE is in ESCROW_RAILS (a secret key sk_live_… or a restricted key rk_live_…)',
      "STRIPE_WEBHOOK_SECRET: required when STRIPE is in ESCROW_RAILS (the endpoint's signing secret whsec_…)",
      'IDEMPOTENCY_STORAGE: redis needs REDIS_URL (redis:// or rediss://)',
    ];
    for (const line of expected) assert.ok(message.includes(`  - ${line}`), `${line}\nin:\n${message}`);
    // Doing what the one message says is enough: nothing new comes up on the next start.
    const fixed = {
      ...env,
      JWT_SECRET: 'j'.repeat(64),
      SANDBOX_ENABLED: 'true',
      SANDBOX_WEBHOOK_SECRET: 's'.repeat(16),
      STRIPE_SECRET_KEY: `sk_live_${'k'.repeat(24)}`,
      STRIPE_WEBHOOK_SECRET: `whsec_${'w'.repeat(32)}`,
      REDIS_URL: 'redis://cache:6379',
    };
    assert.deepEqual(loadConfig(fixed).rails.enabled, ['SANDBOX', 'STRIPE']);
  });

  it("production refuses the sandbox's development secret, which every copy of this code knows", () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      SANDBOX_ENABLED: 'true',
      SANDBOX_WEBHOOK_SECRET: DEV_SANDBOX_SECRET,
    });
    assert.deepEqual(problems, [
      'SANDBOX_WEBHOOK_SECRET: must be a secret of its own in production, not the development secret',
    ]);
  });
});
