import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EscrowApiError, EscrowPendingError, applied, isProblem, retryAfterMs, unwrap } from '../src/index.js';

/** Refusals as typed errors, 202s as EscrowPendingError, Retry-After parsing: pure, over Response objects. */

const problem = {
  type: 'https://escrow-services.dev/problems/invalid-state-transition',
  title: 'Conflict',
  status: 409,
  detail: 'confirm-delivery is not allowed in RELEASED',
  instance: '/api/escrow/e1/confirm-delivery',
  code: 'INVALID_STATE_TRANSITION',
  currentStatus: 'RELEASED',
};
const respond = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

describe('errors', () => {
  it('a problem+json refusal is an EscrowApiError with its fields and the problem', async () => {
    const response = respond(409, { 'x-request-id': 'req-9' });
    await assert.rejects(unwrap(Promise.resolve({ error: problem, response })), (err: unknown) => {
      assert.ok(err instanceof EscrowApiError);
      assert.equal(err.name, 'EscrowApiError');
      assert.deepEqual(
        [err.status, err.code, err.title, err.detail, err.requestId],
        [409, 'INVALID_STATE_TRANSITION', 'Conflict', problem.detail, 'req-9'],
      );
      assert.equal(err.problem?.currentStatus, 'RELEASED');
      assert.equal(err.message, `409 INVALID_STATE_TRANSITION: ${problem.detail}`);
      return true;
    });
  });

  it("a body that is no problem (a proxy's page, an empty body) still throws, coded by its status", async () => {
    for (const error of ['<html>Bad Gateway</html>', undefined]) {
      const response = new Response(null, { status: 502, statusText: 'Bad Gateway' });
      await assert.rejects(unwrap(Promise.resolve({ error, response })), (err: unknown) => {
        assert.ok(err instanceof EscrowApiError);
        assert.deepEqual([err.status, err.code, err.title, err.problem], [502, 'HTTP_502', 'Bad Gateway', null]);
        return true;
      });
    }
    assert.equal(isProblem({ code: 'X', status: 400 }), false, 'a problem has a title');
    assert.equal(isProblem(problem), true);
  });

  it('unwrap hands back the data of any 2xx; applied refuses a 202 with where to follow it', async () => {
    const queued = { commandId: 'c1', status: 'PENDING' as const };
    const accepted = () => ({ data: queued, response: respond(202, { location: '/api/commands/c1' }) });
    assert.deepEqual(await unwrap(Promise.resolve(accepted())), queued);
    await assert.rejects(applied(Promise.resolve(accepted())), (err: unknown) => {
      assert.ok(err instanceof EscrowPendingError);
      assert.deepEqual([err.status, err.location, err.body], ['PENDING', '/api/commands/c1', queued]);
      return true;
    });
    const proposal = { approval: { id: 'a1' }, status: 'PENDING_APPROVAL' as const };
    await assert.rejects(
      applied(Promise.resolve({ data: proposal, response: respond(202) })),
      (err: unknown) => err instanceof EscrowPendingError && err.status === 'PENDING_APPROVAL',
    );
    const escrow = { id: 'e1', status: 'RELEASED' };
    assert.deepEqual(await applied(Promise.resolve({ data: escrow, response: respond(200) })), escrow);
  });

  it('Retry-After: delta seconds, an HTTP date (a past one is now), anything else is not one', () => {
    const now = Date.parse('2026-11-23T10:00:00.000Z');
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs(' 0 ', now), 0);
    assert.equal(retryAfterMs('Mon, 23 Nov 2026 10:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Mon, 23 Nov 2026 09:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs('-5', now), null);
    assert.equal(retryAfterMs(null, now), null);
  });
});
