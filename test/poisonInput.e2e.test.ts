import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engineKinds, assertDatabaseVerifies, escrowInput, fundedEscrow } from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';

// Hostile text among other clients' commands, over real HTTP: text PostgreSQL cannot store (a NUL, a lone surrogate)
// or metadata nested 20,000 levels deep. Each is refused at the edge with a 400 naming its field, and none of the
// commands sent with it is hurt (before: one such command failed the whole commit batch, its retry included).

const RULE = 'must not contain NUL (\\u0000) or unpaired surrogate characters';

/** `{"a":{"a":…}}` as JSON text, `levels` deep (the JSON escapes \u0000 and \ud800 stay escapes on the wire). */
const nestedJson = (levels: number) => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);

/** A create body as JSON text with `metadata` spliced in raw. */
const createWith = (metadataJson: string) =>
  JSON.stringify(escrowInput({ metadata: { placeholder: true } })).replace('{"placeholder":true}', metadataJson);

interface Poison {
  name: string;
  method: string;
  path: (funded: string) => string;
  body?: string;
  field: string;
  message?: string;
}

const POISONS: Poison[] = [
  {
    name: 'a NUL in a metadata value',
    method: 'POST',
    path: () => '/api/escrow',
    body: createWith('{"note":"a\\u0000b"}'),
    field: 'metadata.note',
  },
  {
    name: 'a lone surrogate in a metadata key',
    method: 'POST',
    path: () => '/api/escrow',
    body: createWith('{"\\ud800":"x"}'),
    field: 'metadata',
    message: `keys ${RULE}`,
  },
  {
    name: 'metadata nested 20,000 levels deep',
    method: 'POST',
    path: () => '/api/escrow',
    body: createWith(nestedJson(20_000)),
    field: 'metadata',
    message: 'must not be nested more than 32 levels deep',
  },
  {
    name: 'a NUL in a cancel reason',
    method: 'POST',
    path: (id) => `/api/escrow/${id}/cancel`,
    body: '{"reason":"changed my mind\\u0000"}',
    field: 'reason',
  },
  {
    name: 'a lone surrogate in a delivery title',
    method: 'POST',
    path: (id) => `/api/escrow/${id}/mark-delivered`,
    body: '{"title":"box \\udc00"}',
    field: 'title',
  },
  {
    name: 'a NUL in delivery evidence',
    method: 'POST',
    path: (id) => `/api/escrow/${id}/mark-delivered`,
    body: '{"title":"box","evidence":["https://x.test/1","\\u0000"]}',
    field: 'evidence[1]',
  },
  {
    name: 'a NUL in a query string value',
    method: 'GET',
    path: () => '/api/escrow?buyerId=buyer%00-1',
    field: 'buyerId',
  },
  {
    name: 'a NUL in a path parameter',
    method: 'POST',
    path: () => '/api/sandbox/payments/sbx_%00/succeed',
    field: 'reference',
  },
];

for (const kind of engineKinds()) {
  describe(`hostile input over HTTP on ${kind}`, () => {
    let s: TestServer;
    let admin: string;
    let funded: string;
    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
      funded = await fundedEscrow(s.engine);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    const refusedNaming = (r: HttpResult, p: Poison) => {
      assert.equal(r.status, 400, `${p.name}: ${r.text}`);
      assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const message = p.message ?? RULE;
      assert.equal(r.body.detail, `${p.field}: ${message}`, p.name);
      assert.deepEqual(r.body.errors, [{ field: p.field, message }], p.name);
    };

    it('each is a 400 naming the field, and changes nothing', async () => {
      const before = await s.engine.db.query('SELECT count(*)::int AS n FROM escrow_events');
      for (const p of POISONS) {
        const r = await s.call(p.method, p.path(funded), { token: admin, ...(p.body ? { body: p.body } : {}) });
        refusedNaming(r, p);
      }
      assert.deepEqual((await s.engine.db.query('SELECT count(*)::int AS n FROM escrow_events')).rows, before.rows);
    });

    it('a poison request among 100 concurrent commands: all 100 others succeed', async () => {
      const service = await s.token('marketplace-backend', 'service');
      // Poison requests (each of the first three kinds, five times) go out spread through the burst, while the
      // innocent commands queue for their commit batches.
      const plan: (Poison | null)[] = Array.from({ length: 100 }, () => null);
      for (let k = 0; k < 15; k++) plan.splice(4 + k * 8, 0, POISONS[k % 3]!);
      const sent = plan.map((p) => {
        if (!p) return { poison: null, reply: s.call('POST', '/api/escrow', { token: service, body: escrowInput() }) };
        return { poison: p, reply: s.call(p.method, p.path(funded), { token: service, body: p.body }) };
      });
      const results = await Promise.all(sent.map(async (x) => ({ poison: x.poison, r: await x.reply })));
      const others = results.filter((x) => !x.poison).map((x) => x.r);
      assert.equal(others.length, 100);
      const failed = others.filter((r) => r.status !== 201);
      assert.equal(failed.length, 0, `${failed.length} of 100 failed, e.g. ${failed[0]?.text}`);
      for (const x of results) if (x.poison) refusedNaming(x.r, x.poison);
      const ids = new Set(others.map((r) => r.body.id));
      assert.equal(ids.size, 100);
    });

    it('a signed provider webhook carrying such text is refused naming the field; nothing is stored', async () => {
      const body =
        '{"id":"evt_poison","type":"payment.succeeded","data":{"reference":"sbx_x","transactionId":"tx\\u0000",' +
        '"amount":"10300","currency":"USD"}}';
      const before = await s.engine.db.query('SELECT count(*)::int AS n FROM webhook_events');
      const r = await s.call('POST', '/api/webhooks/sandbox', {
        body,
        headers: { 'x-sandbox-signature': s.engine.sandbox.sign(body) },
      });
      refusedNaming(r, { name: 'webhook', method: 'POST', path: () => '', field: 'data.transactionId' });
      assert.deepEqual((await s.engine.db.query('SELECT count(*)::int AS n FROM webhook_events')).rows, before.rows);
    });

    it('a signed settlement result whose settlementId is not a UUID is acknowledged (200), stored unmatched', async () => {
      const body = JSON.stringify({
        id: 'evt_settlement_po_1',
        type: 'settlement.succeeded',
        data: { settlementId: 'po_1-not-ours', providerReference: 'po_1' },
      });
      const r = await s.call('POST', '/api/webhooks/sandbox', {
        body,
        headers: { 'x-sandbox-signature': s.engine.sandbox.sign(body) },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { received: true, status: 'processed', outcome: 'UNMATCHED' });
      const { rows } = await s.engine.db.query<{ outcome: string }>(
        `SELECT outcome FROM webhook_events WHERE event_id = 'evt_settlement_po_1' AND processed_at IS NOT NULL`,
      );
      assert.deepEqual(rows, [{ outcome: 'UNMATCHED' }]);
    });
  });
}
