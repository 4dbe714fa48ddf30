import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../src/domain/index.js';
import {
  ENGINE_KINDS,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  freshDatabase,
  testEngine,
  type TestDb,
  type TestEngine,
} from './harness.js';

for (const kind of ENGINE_KINDS) {
  describe(`group commit on ${kind}`, () => {
    let testDb: TestDb;
    let t: TestEngine;
    before(async () => {
      testDb = await freshDatabase(kind, 20);
      t = await testEngine(kind, {}, { db: testDb.db, clock: new (await import('./harness.js')).FakeClock() });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
        await testDb.drop();
      }
    });

    it('one failing command in a batch is refused alone; its neighbours commit', async () => {
      // 40 creates at once: they queue behind the first commits and go in batches. Every fifth reuses one offer,
      // so those fail inside batches of valid creates (the batch is retried with a savepoint per command).
      const inputs = Array.from({ length: 40 }, (_, i) => escrowInput(i % 5 === 0 ? { offerId: 'shared-offer' } : {}));
      const results = await Promise.allSettled(inputs.map((input) => t.engine.service.create(actors.service, input)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(ok.length, 40 - 8 + 1, 'every create but the 7 extra users of the shared offer');
      assert.equal(refused.length, 7);
      for (const r of refused) {
        assert.ok(r.reason instanceof DomainError && r.reason.code === 'OFFER_ALREADY_IN_ESCROW', String(r.reason));
      }
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
      assert.equal(rows[0]!.n, 33);
    });
  });
}
