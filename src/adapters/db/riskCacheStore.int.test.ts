import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { engineKinds, FakeClock, freshDatabase, type TestDb } from '../../../test/harness.js';
import { SqlRiskCacheStore } from './riskCacheStore.js';

const DAY = 86_400_000;
const A = '0x' + 'ab'.repeat(20);

for (const kind of engineKinds()) {
  describe(`risk cache store (${kind})`, () => {
    let t: TestDb;
    const clock = new FakeClock();
    let store: SqlRiskCacheStore;
    before(async () => {
      t = await freshDatabase(kind);
      store = new SqlRiskCacheStore(t.db, clock);
    });
    after(() => t.drop());

    it('answers what was put, per screener, in any case of the address', async () => {
      await store.put(
        A,
        { verdict: 'REVIEW', score: 58, sanctioned: false, screener: 'chainalysis+trm', detail: 'trm: score 58' },
        DAY,
      );
      assert.deepEqual(await store.get(A.toUpperCase().replace('0X', '0x'), 'chainalysis+trm'), {
        verdict: 'REVIEW',
        score: 58,
        sanctioned: false,
        screener: 'chainalysis+trm',
        detail: 'trm: score 58',
      });
      assert.equal(await store.get(A, 'trm'), null, 'another screener has its own entry');
      assert.equal(await store.get('0x' + '00'.repeat(20), 'chainalysis+trm'), null);
    });

    it('keeps a sanctioned verdict sanctioned; a high score alone is not', async () => {
      const s = '0x' + '5a'.repeat(20);
      await store.put(
        s,
        { verdict: 'REJECT', score: null, sanctioned: true, screener: 'chainalysis', detail: 'OFAC SDN' },
        DAY,
      );
      assert.deepEqual(await store.get(s, 'chainalysis'), {
        verdict: 'REJECT',
        score: null,
        sanctioned: true,
        screener: 'chainalysis',
        detail: 'sanctioned: OFAC SDN',
      });
      await store.put(
        s,
        { verdict: 'REJECT', score: 88, sanctioned: false, screener: 'trm', detail: 'trm: score 88' },
        DAY,
      );
      assert.equal((await store.get(s, 'trm'))?.sanctioned, false);
    });

    it('honours the expiry, and a new put replaces the entry', async () => {
      const e = '0x' + 'e1'.repeat(20);
      await store.put(
        e,
        { verdict: 'PASS', score: 8, sanctioned: false, screener: 'trm', detail: 'trm: score 8' },
        60_000,
      );
      clock.advance(59_999);
      assert.equal((await store.get(e, 'trm'))?.verdict, 'PASS');
      clock.advance(1);
      assert.equal(await store.get(e, 'trm'), null, 'expired at exactly the TTL');
      await store.put(
        e,
        { verdict: 'REVIEW', score: 50, sanctioned: false, screener: 'trm', detail: 'trm: score 50' },
        60_000,
      );
      assert.equal((await store.get(e, 'trm'))?.verdict, 'REVIEW');
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM risk_screenings WHERE address = $1`,
        [e],
      );
      assert.equal(rows[0]?.n, 1);
      await assert.rejects(
        store.put(e, { verdict: 'PASS', score: 0, sanctioned: false, screener: 'trm', detail: '' }, 0),
      );
    });

    it('purges expired rows only', async () => {
      clock.advance(2 * DAY);
      const fresh = '0x' + 'f0'.repeat(20);
      await store.put(fresh, { verdict: 'PASS', score: 0, sanctioned: false, screener: 'trm', detail: 'x' }, DAY);
      assert.ok((await store.purgeExpired()) >= 1);
      assert.ok(await store.get(fresh, 'trm'));
    });
  });
}
