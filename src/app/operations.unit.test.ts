import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { OperationsService } from './operations.js';

type Deps = ConstructorParameters<typeof OperationsService>[0];

/** Only what `database()` reads: the ping. */
const withPing = (ping: () => Promise<void>) => new OperationsService({ queries: { ping } } as unknown as Deps);

describe('OperationsService.database (readiness)', () => {
  it('a database that never answers is an error after the ping timeout, not a hung /health', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const check = withPing(() => new Promise<void>(() => undefined)).database();
      mock.timers.tick(2_000);
      const c = await check;
      assert.equal(c.status, 'error');
      assert.match(c.detail ?? '', /did not answer within 2 s/);
    } finally {
      mock.timers.reset();
    }
  });

  it('an answer is ok with its latency; a refusal is an error with its message', async () => {
    const ok = await withPing(() => Promise.resolve()).database();
    assert.equal(ok.status, 'ok');
    assert.equal(typeof ok.latency_ms, 'number');
    const refused = await withPing(() => Promise.reject(new Error('connection refused'))).database();
    assert.deepEqual(refused, { status: 'error', detail: 'connection refused' });
  });
});
