import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from './index.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
};

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
});
