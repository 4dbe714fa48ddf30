import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testServer, type TestServer } from './httpHarness.js';

const stores: [string, Record<string, string>][] = [['in-process counters', {}]];
if (process.env.TEST_REDIS_URL) stores.push(['Redis counters', { REDIS_URL: process.env.TEST_REDIS_URL }]);

for (const [name, env] of stores) {
  describe(`rate limits with ${name}`, () => {
    let s: TestServer;
    before(async () => {
      s = await testServer('pglite', {
        ...env,
        RATE_LIMIT_PER_USER_PER_MINUTE: '3',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000',
      });
    });
    after(() => s.close());

    it('answers 429 with Retry-After past the per-user limit on escrow routes, per user', async () => {
      // the per-user window is a calendar minute: start well inside one so the four requests share it
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
      const user = `rl-user-${Date.now()}`;
      const token = await s.token(user, 'user');
      const statuses: number[] = [];
      let last: Awaited<ReturnType<TestServer['call']>> | null = null;
      for (let i = 0; i < 4; i++) {
        last = await s.call('GET', '/api/escrow', { token });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal(last?.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal((last?.body as { code: string }).code, 'RATE_LIMITED');
      const retry = Number(last?.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      const other = await s.call('GET', '/api/escrow', { token: await s.token(`${user}-other`, 'user') });
      assert.equal(other.status, 200, 'another user has their own budget');
    });
  });
}

describe('per-IP rate limit', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { RATE_LIMIT_PER_IP_PER_MINUTE: '5' });
  });
  after(() => s.close());

  it('answers 429 with Retry-After past 5 requests a minute from one IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.call('GET', '/health/live')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });
});
