import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RAILS, STATUSES } from '../src/domain/index.js';
import { actors, assertDatabaseVerifies, escrowInput, fundedEscrow } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

/**
 * Messages for people (issue 10 §5): a refused request names every field it must fix, once, in words — the allowed
 * values of an enumeration, minor units for an amount, the page range, what SPLIT needs — never a raw pattern or
 * the validator's vocabulary. PGlite only: the wording does not depend on the database.
 */

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

describe('messages for people', () => {
  let s: TestServer;
  let buyer: string;
  let admin: string;
  before(async () => {
    s = await testServer('pglite');
    buyer = await s.token(actors.buyer.id, 'user');
    admin = await s.token(actors.admin.id, 'admin');
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  const refused = async (method: string, path: string, body?: unknown, token = buyer) => {
    const res = await s.call<Problem>(method, path, { token, ...(body !== undefined ? { body } : {}) });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.code, 'VALIDATION_ERROR', res.text);
    return res.body;
  };

  it('a body missing five fields names all five', async () => {
    const p = await refused('POST', '/api/escrow', { currency: 'USD' });
    assert.deepEqual(p.errors, [
      { field: 'offerId', message: 'is required' },
      { field: 'buyerId', message: 'is required' },
      { field: 'sellerId', message: 'is required' },
      { field: 'amount', message: 'is required' },
      { field: 'rail', message: 'is required' },
    ]);
    assert.equal(
      p.detail,
      'offerId: is required; buyerId: is required; sellerId: is required; amount: is required; rail: is required',
    );
  });

  it('an unknown enumeration value: one line with the allowed values', async () => {
    const body = await refused('POST', '/api/escrow', escrowInput({ rail: 'PAYPAL' }));
    assert.deepEqual(body.errors, [{ field: 'rail', message: `must be one of: ${RAILS.join(', ')}` }]);
    const query = await refused('GET', '/api/escrow?status=BOGUS');
    assert.deepEqual(query.errors, [{ field: 'status', message: `must be one of: ${STATUSES.join(', ')}` }]);
  });

  it('an amount with a decimal point: minor units as a digit string, with an example', async () => {
    const p = await refused('POST', '/api/escrow', escrowInput({ amount: '100.00' }));
    assert.deepEqual(p.errors, [
      { field: 'amount', message: 'must be minor units as a digit string, e.g. "10000" for 100.00 USD' },
    ]);
    assert.doesNotMatch(JSON.stringify(p), /\^|\$"|pattern/);
  });

  it('a page size out of range says the same range whichever side it is on', async () => {
    for (const limit of ['0', '51', '1000', 'ten']) {
      const p = await refused('GET', `/api/escrow?limit=${limit}`);
      assert.deepEqual(p.errors, [{ field: 'limit', message: 'must be 1-50' }], `limit=${limit}`);
      assert.equal(p.detail, 'limit: must be 1-50', `limit=${limit}`);
    }
  });

  it('SPLIT without buyerAmount: buyerAmount is required for SPLIT; an unknown resolution lists the three', async () => {
    const id = await fundedEscrow(s.engine, escrowInput());
    const opened = await s.call<{ id: string }>('POST', `/api/escrow/${id}/dispute`, {
      token: buyer,
      body: { reason: 'Not as described' },
    });
    assert.equal(opened.status, 201, opened.text);
    const path = `/api/escrow/${id}/dispute/${opened.body.id}/resolve`;
    const split = await refused('POST', path, { resolution: 'SPLIT', reason: 'Partial delivery' }, admin);
    assert.deepEqual(split.errors, [{ field: 'buyerAmount', message: 'is required for SPLIT' }]);
    assert.equal(split.detail, 'buyerAmount: is required for SPLIT');
    const half = await refused('POST', path, { resolution: 'HALF', reason: 'x' }, admin);
    assert.deepEqual(half.errors, [{ field: 'resolution', message: 'must be one of: RELEASE, REFUND, SPLIT' }]);
    const noResolution = await refused('POST', path, { buyerAmount: '100' }, admin);
    assert.deepEqual(noResolution.errors, [
      { field: 'resolution', message: 'is required' },
      { field: 'reason', message: 'is required' },
    ]);
    // and the documented form still works
    const done = await s.call('POST', path, {
      token: admin,
      body: { resolution: 'SPLIT', buyerAmount: '4000', reason: 'ok' },
    });
    assert.equal(done.status, 200, done.text);
  });

  it('an unknown field is named, with the fields the body has', async () => {
    const p = await refused('POST', '/api/escrow', escrowInput({ amout: '100' }));
    assert.equal(p.errors?.length, 1);
    assert.equal(p.errors?.[0]?.field, 'amout');
    assert.match(p.errors?.[0]?.message ?? '', /^is not a field here \(known: offerId, .*amount/);
  });
});
