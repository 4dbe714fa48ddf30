import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { engineKinds, freshDatabase, type TestDb } from '../../../test/harness.js';
import { BlacklistService } from '../../app/blacklist.js';
import { BlacklistSnapshot } from '../../app/blacklistSnapshot.js';
import type { Actor } from '../../domain/index.js';
import type { Database } from './database.js';
import { SqlBlacklistStore } from './blacklistStore.js';

const admin: Actor = { id: 'ops-alice', role: 'admin' };

/** The SQL store, counting its reads: a check answered from the snapshot reads nothing. */
class CountingStore extends SqlBlacklistStore {
  reads = 0;
  override findActive(q: Parameters<SqlBlacklistStore['findActive']>[0]) {
    this.reads++;
    return super.findActive(q);
  }
  override notRemoved(limit: number) {
    this.reads++;
    return super.notRemoved(limit);
  }
}

/** A replica's blacklist: its own store and snapshot over its own connections. */
function replica(db: Database) {
  const store = new CountingStore(db);
  const service = new BlacklistService({
    store,
    clock: { now: () => new Date() },
    snapshot: new BlacklistSnapshot(store),
  });
  const check = (userId: string) => service.check({ userIds: [userId] }).then((hits) => hits.map((h) => h.value));
  return { store, service, check };
}

/** Polls until `fn` answers `expected` (a notification crosses connections asynchronously); fails after 10 s. */
async function eventually<T>(fn: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await fn();
    try {
      assert.deepEqual(got, expected);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(10);
  }
}

for (const kind of engineKinds()) {
  describe(`blacklist snapshot kept current by NOTIFY (${kind})`, () => {
    let t: TestDb;
    let other: Database;
    const stops: (() => Promise<void>)[] = [];
    before(async () => {
      t = await freshDatabase(kind);
      other = kind === 'postgres' ? await t.openAnother(2) : t.db;
    });
    after(async () => {
      for (const stop of stops) await stop();
      // the other pool is the harness's: drop() closes it
      await t.drop();
    });

    it("an admin's add and remove on one replica reach another replica's next checks", async () => {
      const a = replica(t.db);
      const b = replica(other);
      stops.push(await a.service.watch(), await b.service.watch());
      const user = `mallory-${kind}`;
      assert.deepEqual(await b.check(user), []);
      const readsAfterLoad = b.store.reads;
      for (let i = 0; i < 20; i++) assert.deepEqual(await b.check(user), []);
      assert.equal(b.store.reads, readsAfterLoad, 'checks between changes are answered from memory');

      const { entry } = await a.service.add(admin, { kind: 'USER', value: user, reason: 'fraud ring' });
      assert.deepEqual(await a.check(user), [user], 'the replica that added it: at once');
      await eventually(() => b.check(user), [user]);

      await a.service.remove(admin, { id: entry.id, reason: 'cleared by support' });
      assert.deepEqual(await a.check(user), []);
      await eventually(() => b.check(user), []);
    });
  });
}
