import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from './index.js';
import { problemsOf } from './problems.kit.js';

describe('outgoing webhooks configuration', () => {
  it('defaults: the Standard Webhooks schedule, 15 s timeout, private addresses refused, disabled after 5 days', () => {
    const w = loadConfig({}).webhooks;
    assert.deepEqual(
      w.scheduleMs,
      [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000],
    );
    assert.equal(w.timeoutMs, 15_000);
    assert.equal(w.allowPrivate, false);
    assert.equal(w.disableAfterMs, 120 * 3_600_000);
  });

  it('WEBHOOKS_RETRY_SCHEDULE takes durations in ms, s, m and h', () => {
    const w = loadConfig({ WEBHOOKS_RETRY_SCHEDULE: '0s, 250ms,1m,2h', WEBHOOKS_ALLOW_PRIVATE: 'true' }).webhooks;
    assert.deepEqual(w.scheduleMs, [0, 250, 60_000, 7_200_000]);
    assert.equal(w.allowPrivate, true);
  });

  it('names a schedule that is not durations, does not start at once, decreases or is too long', () => {
    const problems = (v: string) => problemsOf({ WEBHOOKS_RETRY_SCHEDULE: v }).filter((p) => p.startsWith('WEBHOOKS_'));
    assert.match(problems('0s,5 minutes')[0]!, /5 minutes is not a duration/);
    assert.match(problems('5s,10s')[0]!, /start with 0s/);
    assert.match(problems('0s,5m,5s')[0]!, /must not decrease/);
    assert.match(problems(Array(21).fill('0s').join(','))[0]!, /at most 20/);
    assert.deepEqual(problems('0s,5s,5m'), []);
  });

  it('bounds the timeout, concurrency and the disable threshold', () => {
    const p = problemsOf({
      WEBHOOKS_TIMEOUT_MS: '10',
      WEBHOOKS_CONCURRENCY: '0',
      WEBHOOKS_DISABLE_AFTER_HOURS: '0',
      WEBHOOKS_ALLOW_PRIVATE: 'yes',
    });
    for (const v of [
      'WEBHOOKS_TIMEOUT_MS',
      'WEBHOOKS_CONCURRENCY',
      'WEBHOOKS_DISABLE_AFTER_HOURS',
      'WEBHOOKS_ALLOW_PRIVATE',
    ]) {
      assert.ok(
        p.some((m) => m.startsWith(v)),
        `${v} named: ${p.join('; ')}`,
      );
    }
  });
});
