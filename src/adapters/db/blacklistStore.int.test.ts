import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engineKinds, freshDatabase, type TestDb } from '../../../test/harness.js';
import { DomainError } from '../../domain/index.js';
import type { NewBlacklistEntry } from '../../app/ports/blacklistStore.js';
import { SqlBlacklistStore } from './blacklistStore.js';

const T0 = '2026-12-02T10:00:00.000Z';
const later = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();
const HOUR = 3_600_000;
const admin = { id: 'ops-alice', role: 'admin' };

const entry = (over: Partial<NewBlacklistEntry> = {}): NewBlacklistEntry => ({
  id: randomUUID(),
  kind: 'USER',
  value: `user-${randomUUID().slice(0, 8)}`,
  reason: 'chargeback fraud',
  source: 'MANUAL',
  expiresAt: null,
  actor: admin,
  at: T0,
  ...over,
});

for (const kind of engineKinds()) {
  describe(`blacklist store (${kind})`, () => {
    let t: TestDb;
    let store: SqlBlacklistStore;
    before(async () => {
      t = await freshDatabase(kind);
      store = new SqlBlacklistStore(t.db);
    });
    after(() => t.drop());

    const audits = async (entryId: string) =>
      (
        await t.db.query<{
          escrow_id: string | null;
          actor_id: string;
          actor_role: string;
          action: string;
          details: { reason: string; entry: { id: string }; supersededEntryId?: string };
          created_at: string;
        }>(
          `SELECT escrow_id, actor_id, actor_role, action, details, iso(created_at) AS created_at FROM audit_logs
            WHERE details -> 'entry' ->> 'id' = $1 ORDER BY id`,
          [entryId],
        )
      ).rows;

    it('adds an entry with its audit row in the same transaction, and reads it back', async () => {
      const e = entry({ kind: 'WALLET', value: '0x8ba1f109551bd432803012645ac136ddd64dba72', source: 'OFAC' });
      const added = await store.add({ ...e, expiresAt: later(24 * HOUR) });
      assert.deepEqual(added, {
        id: e.id,
        kind: 'WALLET',
        value: e.value,
        reason: 'chargeback fraud',
        source: 'OFAC',
        expiresAt: '2026-12-03T10:00:00.000Z',
        createdBy: 'ops-alice',
        createdAt: T0,
        removedAt: null,
        removedBy: null,
        removalReason: null,
      });
      assert.deepEqual(await store.get(e.id), added);
      assert.equal(await store.get(randomUUID()), null);
      const rows = await audits(e.id);
      assert.equal(rows.length, 1);
      assert.deepEqual(
        { ...rows[0], details: undefined },
        {
          escrow_id: null,
          actor_id: 'ops-alice',
          actor_role: 'admin',
          action: 'BlacklistEntryAdded',
          details: undefined,
          created_at: T0,
        },
      );
      assert.deepEqual(rows[0]!.details, { reason: 'chargeback fraud', entry: added });
    });

    it('the database refuses an upper-case wallet and bad kinds (the service lower-cases)', async () => {
      await assert.rejects(store.add(entry({ kind: 'WALLET', value: '0xABC' })), /check constraint/);
      await assert.rejects(store.add(entry({ kind: 'EMAIL' as never })), /check constraint/);
    });

    it('one active entry per (kind, value): a second add is BLACKLIST_ENTRY_EXISTS naming it, and writes nothing', async () => {
      const first = await store.add(entry({ value: 'dup-user' }));
      const second = entry({ value: 'dup-user' });
      await assert.rejects(store.add(second), (err: unknown) => {
        assert.ok(err instanceof DomainError);
        assert.equal(err.code, 'BLACKLIST_ENTRY_EXISTS');
        assert.match(err.message, new RegExp(`entry ${first.id}`));
        return true;
      });
      assert.equal(await store.get(second.id), null);
      assert.equal((await audits(second.id)).length, 0);
      // the same value as a wallet is another entry
      await store.add(entry({ kind: 'WALLET', value: 'dup-user' }));
    });

    it('removes softly: the row stays with who and why, audited; a second remove is null', async () => {
      const e = await store.add(entry());
      const removed = await store.remove({
        id: e.id,
        reason: 'appeal granted',
        actor: { id: 'ops-bob', role: 'admin' },
        at: later(HOUR),
      });
      assert.deepEqual(removed, {
        ...e,
        removedAt: later(HOUR),
        removedBy: 'ops-bob',
        removalReason: 'appeal granted',
      });
      assert.deepEqual(await store.get(e.id), removed);
      assert.equal(await store.remove({ id: e.id, reason: 'again', actor: admin, at: later(2 * HOUR) }), null);
      assert.equal(await store.remove({ id: randomUUID(), reason: 'x', actor: admin, at: T0 }), null);
      const rows = await audits(e.id);
      assert.deepEqual(
        rows.map((r) => [r.action, r.actor_id, r.details.reason]),
        [
          ['BlacklistEntryAdded', 'ops-alice', 'chargeback fraud'],
          ['BlacklistEntryRemoved', 'ops-bob', 'appeal granted'],
        ],
      );
      assert.deepEqual(rows[1]!.details.entry, removed);
      // blacklisting the value again is a new entry
      const again = await store.add(entry({ value: e.value, at: later(3 * HOUR) }));
      assert.notEqual(again.id, e.id);
    });

    it('findActive: one query over user ids and wallets, without removed or expired entries', async () => {
      const u = await store.add(entry({ value: 'fa-buyer' }));
      const w = await store.add(entry({ kind: 'WALLET', value: '0xfa11', expiresAt: later(HOUR) }));
      const gone = await store.add(entry({ value: 'fa-removed' }));
      await store.remove({ id: gone.id, reason: 'cleared', actor: admin, at: T0 });
      await store.add(entry({ kind: 'WALLET', value: 'fa-buyer' })); // a wallet named like the user: not a user hit
      const ask = (now: string) =>
        store.findActive({ userIds: ['fa-buyer', 'fa-removed', 'fa-nobody'], wallets: ['0xfa11', '0xfa22'], now });
      assert.deepEqual(
        (await ask(T0)).map((e) => e.id),
        [u.id, w.id],
      );
      assert.deepEqual(
        (await ask(later(HOUR - 1))).map((e) => e.id),
        [u.id, w.id],
      );
      assert.deepEqual(
        (await ask(later(HOUR))).map((e) => e.id),
        [u.id],
        'not active from its expiry on',
      );
      assert.deepEqual(await store.findActive({ userIds: [], wallets: [], now: T0 }), []);
    });

    it('an expired entry is retired (history kept) when the value is added again', async () => {
      const old = await store.add(entry({ value: 'exp-user', expiresAt: later(HOUR) }));
      await assert.rejects(store.add(entry({ value: 'exp-user', at: later(HOUR - 1) })), /already blacklisted/);
      const fresh = await store.add(entry({ value: 'exp-user', at: later(2 * HOUR) }));
      const retired = await store.get(old.id);
      assert.equal(retired?.removedAt, later(2 * HOUR));
      assert.equal(retired?.removedBy, 'ops-alice');
      assert.match(retired?.removalReason ?? '', new RegExp(`superseded by entry ${fresh.id}`));
      assert.equal((await audits(fresh.id))[0]?.details.supersededEntryId, old.id);
    });

    it('lists newest first, by kind and activity, after a position', async () => {
      const db = await freshDatabase(kind);
      try {
        const s = new SqlBlacklistStore(db.db);
        const made = [];
        for (let i = 0; i < 4; i++) {
          made.push(
            await s.add(
              entry({
                kind: i % 2 ? 'WALLET' : 'USER',
                value: `l-${i}`,
                at: later(i * 1000),
                expiresAt: i === 1 ? later(HOUR) : null,
              }),
            ),
          );
        }
        await s.remove({ id: made[2]!.id, reason: 'cleared', actor: admin, at: later(5000) });
        const now = later(2 * HOUR); // made[1] has expired
        const values = async (q: Partial<Parameters<SqlBlacklistStore['list']>[0]>) =>
          (await s.list({ now, limit: 10, after: null, ...q })).map((e) => e.value);
        assert.deepEqual(await values({}), ['l-3', 'l-2', 'l-1', 'l-0']);
        assert.deepEqual(await values({ active: true }), ['l-3', 'l-0']);
        assert.deepEqual(await values({ active: false }), ['l-2', 'l-1']);
        assert.deepEqual(await values({ kind: 'WALLET' }), ['l-3', 'l-1']);
        assert.deepEqual(await values({ kind: 'USER', active: true }), ['l-0']);
        assert.deepEqual(await values({ limit: 2 }), ['l-3', 'l-2']);
        assert.deepEqual(await values({ after: { createdAt: made[2]!.createdAt, id: made[2]!.id } }), ['l-1', 'l-0']);
      } finally {
        await db.drop();
      }
    });

    if (kind === 'postgres') {
      it('two admins adding the same value at once: one entry, one BLACKLIST_ENTRY_EXISTS (PostgreSQL)', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, () => store.add(entry({ kind: 'WALLET', value: '0xrace' }))),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        const refused = results.filter(
          (r) =>
            r.status === 'rejected' && r.reason instanceof DomainError && r.reason.code === 'BLACKLIST_ENTRY_EXISTS',
        );
        assert.equal(ok.length, 1, JSON.stringify(results.map((r) => r.status === 'rejected' && String(r.reason))));
        assert.equal(refused.length, 3);
      });
    }
  });
}
