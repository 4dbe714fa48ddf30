import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DisputesReport, FeesReport, OffendersReport, VolumeReport } from '../src/app/reports.js';
import { actors, assertDatabaseVerifies, engineKinds, escrowInput, tableCounts } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// GET /api/admin/reports/{volume,fees,disputes,offenders} over the real app: escrows created, paid and disputed
// through the API itself (the sandbox pay button), then each report read by an admin with exact figures.

for (const kind of engineKinds()) {
  describe(`GET /api/admin/reports/* (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    before(async () => {
      s = await testServer(kind);
      admin = await s.token('ops-admin', 'admin');
      const buyer = await s.token(actors.buyer.id, 'user');
      for (let i = 0; i < 4; i++) {
        const created = await s.call<{ id: string }>('POST', '/api/escrow', {
          token: buyer,
          body: escrowInput({ sellerId: 'seller-9', amount: '2500' }),
        });
        assert.equal(created.status, 201, created.text);
        const id = created.body.id;
        const paid = await s.call('POST', '/api/admin/sandbox/payments', { token: admin, body: { target: id } });
        assert.equal(paid.status, 200, paid.text);
        if (i < 3) {
          const opened = await s.call('POST', `/api/escrow/${id}/dispute`, {
            token: buyer,
            body: { reason: 'fake item' },
          });
          assert.equal(opened.status, 201, opened.text);
        }
      }
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });
    const get = <T>(path: string, token = admin) => s.call<T>('GET', `/api/admin/reports/${path}`, { token });

    it('volume and fees: per currency, amounts as digit strings', async () => {
      const v = await get<VolumeReport>('volume?since=1h&by=hour');
      assert.equal(v.status, 200, v.text);
      assert.deepEqual(v.body.totals, [
        {
          currency: 'USD',
          ...{ created: 4, funded: 4, released: 0, refunded: 0, disputed: 3 },
          ...{ fundedAmount: '10000', releasedAmount: '0', refundedAmount: '0' },
        },
      ]);
      const f = await get<FeesReport>('fees?currency=USD');
      assert.equal(f.status, 200, f.text);
      assert.deepEqual(f.body.totals, [], 'nothing released or refunded: no fee revenue booked');
    });

    it('disputes: 3 of 4 funded (75.00 %); offenders with their blacklist command', async () => {
      const d = await get<DisputesReport>('disputes');
      assert.equal(d.status, 200, d.text);
      assert.deepEqual(d.body.totals, [{ currency: 'USD', funded: 4, opened: 3, ratePercent: '75.00' }]);
      assert.deepEqual(d.body.byReason, [{ reason: 'fake item', count: 3 }]);
      const o = await get<OffendersReport>('offenders?min=3');
      assert.equal(o.status, 200, o.text);
      assert.deepEqual(
        o.body.offenders.map((x) => [x.role, x.userId, x.disputes, x.command]),
        [
          [
            'SELLER',
            'seller-9',
            3,
            "escrow blacklist add --kind USER --value seller-9 --reason 'RB-04: 3 disputes as seller in 7 days'",
          ],
          [
            'BUYER',
            'buyer-1',
            3,
            "escrow blacklist add --kind USER --value buyer-1 --reason 'RB-04: 3 disputes as buyer in 7 days'",
          ],
        ],
      );
    });

    it('a party blacklisted already is marked so, without a command to run again', async () => {
      const added = await s.call('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'USER', value: 'buyer-1', reason: 'RB-04: 3 disputes as buyer in 7 days' },
      });
      assert.equal(added.status, 201, added.text);
      const o = await get<OffendersReport>('offenders');
      assert.deepEqual(
        o.body.offenders.map((x) => [x.userId, x.blacklisted, x.command === null]),
        [
          ['seller-9', false, false],
          ['buyer-1', true, true],
        ],
      );
    });

    it('bad input is a 400 problem naming the field and changes nothing; users get 403', async () => {
      const before = await tableCounts(s.engine.db);
      for (const [path, field] of [
        ['volume?since=yesterday', 'since'],
        ['fees?by=week', 'by'],
        ['offenders?min=0', 'min'],
        ['disputes?currency=usd', 'currency'],
        ['volume?limit=3', 'limit'],
      ]) {
        const res = await get<{ code: string }>(path!);
        assert.equal(res.status, 400, `${path}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.match(res.text, new RegExp(field!), path);
      }
      const user = await get('volume', await s.token(actors.buyer.id, 'user'));
      assert.equal(user.status, 403);
      assert.deepEqual(await tableCounts(s.engine.db), before);
    });
  });
}
