import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DatabaseUnavailableError } from '../../app/ports/databaseUnavailable.js';
import { Availability } from './availability.js';
import type { AvailabilityChange } from './database.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('Availability: one outage, one pair of changes', () => {
  it('the first failure starts it, the first success of a later attempt ends it; late answers change nothing', () => {
    const a = new Availability(0);
    const changes: AvailabilityChange[] = [];
    a.subscribe((c) => changes.push(c));
    const early = a.begin(); // started before the outage, answers after it began
    const first = a.begin();
    const err = a.failed(first, refused());
    assert.ok(err instanceof DatabaseUnavailableError);
    assert.equal(err.reason, 'unreachable');
    assert.equal(err.code, 'ECONNREFUSED');
    a.failed(a.begin(), refused());
    a.succeeded(early);
    assert.deepEqual(
      changes.map((c) => c.available),
      [false],
      'a late success of an earlier query does not end the outage',
    );
    const during = a.begin();
    a.succeeded(a.begin());
    a.failed(during, refused());
    assert.deepEqual(
      changes.map((c) => c.available),
      [false, true],
      'a late failure of a query begun during the outage does not start another',
    );
  });

  it('answers (a constraint, a syntax error) pass through; a busy pool or a statement timeout is no outage', () => {
    const a = new Availability();
    const changes: AvailabilityChange[] = [];
    a.subscribe((c) => changes.push(c));
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    assert.equal(a.failed(a.begin(), unique), unique);
    const busy = a.failed(a.begin(), new Error('timeout exceeded when trying to connect'));
    assert.ok(busy instanceof DatabaseUnavailableError && busy.reason === 'busy');
    const slow = a.failed(a.begin(), Object.assign(new Error('canceling statement'), { code: '57014' }));
    assert.ok(slow instanceof DatabaseUnavailableError && slow.reason === 'timeout');
    assert.deepEqual(changes, []);
  });

  it('successes just after the start (a server shutting down still answering) do not end it', () => {
    const a = new Availability(60_000);
    const changes: AvailabilityChange[] = [];
    a.subscribe((c) => changes.push(c));
    a.failed(a.begin(), refused());
    a.succeeded(a.begin());
    a.failed(a.begin(), refused());
    assert.deepEqual(
      changes.map((c) => c.available),
      [false],
    );
  });

  it('the settling time counts from the latest failure: stale successes among failures do not end it', () => {
    let t = 0;
    const a = new Availability(1000, () => t);
    const changes: AvailabilityChange[] = [];
    a.subscribe((c) => changes.push(c));
    a.failed(a.begin(), refused()); // t = 0: the server stops
    t = 900;
    a.failed(a.begin(), refused()); // more connections refused while some still answer
    t = 1100;
    a.succeeded(a.begin()); // 1.1 s after the first failure, 0.2 s after the latest: a closing server's answer
    assert.deepEqual(
      changes.map((c) => c.available),
      [false],
    );
    t = 1300;
    a.failed(a.begin(), refused());
    t = 2400;
    a.succeeded(a.begin()); // 1.1 s without a failure: back
    assert.deepEqual(
      changes.map((c) => c.available),
      [false, true],
    );
    assert.equal((changes[1] as { outageMs: number }).outageMs, 2400);
  });
});
