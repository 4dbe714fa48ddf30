import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueLines } from './operatorViews.js';
import type { QueueFigures } from './ports/operatorQueries.js';

const quiet: QueueFigures = {
  outbox: { unpublished: 0, oldestAgeSeconds: 0, deadLetters: 0 },
  settlements: { byStatus: {}, pendingOldestAgeSeconds: 0 },
  webhooks: { unprocessed: 0, failed: 0, oldestAgeSeconds: 0 },
  commands: { pending: 0, oldestAgeSeconds: 0, idempotencyInFlight: 0 },
  timeouts: { paymentDue: 0, confirmationDue: 0, oldestDueAgeSeconds: 0 },
  disputes: { open: 0, overdueResponse: 0, overdueSla: 0 },
  suspense: { open: 0 },
  outgoing: { pending: 0, oldestAgeSeconds: 0, notFannedOut: 0, enabledEndpoints: 0, disabledEndpoints: 0 },
};
const outgoing = (o: Partial<QueueFigures['outgoing']>) =>
  Object.fromEntries(
    queueLines({ ...quiet, outgoing: { ...quiet.outgoing, ...o } })
      .filter((l) => l.queue === 'webhooks_out')
      .map((l) => [l.metric, l.status]),
  );

describe('escrow queues: outgoing webhooks', () => {
  it('a quiet system is OK', () => {
    assert.ok(Object.values(outgoing({})).every((s) => s === 'OK'));
  });

  it('a message pending over an hour is a PROBLEM, a disabled endpoint a WARN', () => {
    assert.equal(outgoing({ pending: 3, oldestAgeSeconds: 3601 }).pending_oldest_age_seconds, 'PROBLEM');
    assert.equal(outgoing({ pending: 3, oldestAgeSeconds: 3600 }).pending_oldest_age_seconds, 'OK');
    assert.equal(outgoing({ disabledEndpoints: 1 }).endpoints_disabled, 'WARN');
  });

  it('events piling up before the fan-out are a PROBLEM only while an endpoint waits for them', () => {
    assert.equal(outgoing({ notFannedOut: 5000, enabledEndpoints: 1 }).not_fanned_out, 'PROBLEM');
    assert.equal(outgoing({ notFannedOut: 5000, enabledEndpoints: 0 }).not_fanned_out, 'OK');
  });
});
