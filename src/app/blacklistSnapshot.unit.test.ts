import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Actor } from '../domain/index.js';
import { BlacklistService } from './blacklist.js';
import { BlacklistSnapshot } from './blacklistSnapshot.js';
import { MemoryBlacklistStore } from './memoryBlacklist.kit.js';
import type { BlacklistEntry } from './ports/blacklistStore.js';

const admin: Actor = { id: 'ops-alice', role: 'admin' };
const WALLET = '0x8ba1f109551bd432803012645ac136ddd64dba72';
const T0 = Date.parse('2026-12-02T10:00:00.000Z');

describe('BlacklistSnapshot: the active list in memory, exact after every change', () => {
  let store: MemoryBlacklistStore;
  let now: number;
  let ids: number;
  let snapshot: BlacklistSnapshot;
  let service: BlacklistService;
  let mono: number;

  const make = (opts: { maxEntries?: number; maxAgeMs?: number } = {}) => {
    snapshot = new BlacklistSnapshot(store, { ...opts, now: () => mono });
    service = new BlacklistService({
      store,
      clock: { now: () => new Date(now) },
      newId: () => `0190f0c8-0000-7000-8000-${String(++ids).padStart(12, '0')}`,
      snapshot,
    });
  };
  const check = (userIds: string[], wallets: string[] = []) =>
    service.check({ userIds, wallets }).then((hits) => hits.map((h) => h.value));

  beforeEach(() => {
    store = new MemoryBlacklistStore();
    now = T0;
    mono = 0;
    ids = 0;
    make();
  });

  it('before watch() every check is a query; once watching, one read serves every check', async () => {
    await service.add(admin, { kind: 'USER', value: 'mallory', reason: 'fraud ring' });
    assert.deepEqual(await check(['mallory', 'alice']), ['mallory']);
    assert.deepEqual(store.reads, { findActive: 1, notRemoved: 0 });
    await service.watch();
    for (let i = 0; i < 50; i++) assert.deepEqual(await check(['mallory', 'alice']), ['mallory']);
    assert.deepEqual(await check(['alice']), []);
    assert.deepEqual(store.reads, { findActive: 1, notRemoved: 1 });
  });

  it('an add or a remove here applies to the very next check', async () => {
    await service.watch();
    assert.deepEqual(await check(['mallory']), []);
    const { entry } = await service.add(admin, { kind: 'USER', value: 'mallory', reason: 'fraud ring' });
    assert.deepEqual(await check(['mallory']), ['mallory']);
    await service.remove(admin, { id: entry.id, reason: 'cleared by support' });
    assert.deepEqual(await check(['mallory']), []);
    assert.equal(store.reads.notRemoved, 3);
    assert.equal(store.reads.findActive, 0);
  });

  it('a change here applies at once even when its notification is lost (changed() after the commit)', async () => {
    await service.watch();
    store.silent = true;
    assert.deepEqual(await check(['mallory']), []);
    const { entry } = await service.add(admin, { kind: 'USER', value: 'mallory', reason: 'fraud ring' });
    assert.deepEqual(await check(['mallory']), ['mallory']);
    await service.remove(admin, { id: entry.id, reason: 'cleared by support' });
    assert.deepEqual(await check(['mallory']), []);
  });

  it('a lost notification of another process is made good by the max age', async () => {
    make({ maxAgeMs: 5_000 });
    await service.watch();
    store.silent = true;
    assert.deepEqual(await check(['mallory']), []);
    const other = new BlacklistService({
      store,
      clock: { now: () => new Date(now) },
      newId: () => '0190f0c8-0000-7000-8000-0000000000fe',
    });
    await other.add(admin, { kind: 'USER', value: 'mallory', reason: 'fraud ring' });
    mono = 4_999;
    assert.deepEqual(await check(['mallory']), [], 'not yet: the snapshot is younger than its max age');
    mono = 5_000;
    assert.deepEqual(await check(['mallory']), ['mallory']);
  });

  it("another process's change (its notification) applies to the next check", async () => {
    await service.watch();
    assert.deepEqual(await check([], [WALLET]), []);
    // another replica's service over the same store: its NOTIFY reaches this one
    const other = new BlacklistService({
      store,
      clock: { now: () => new Date(now) },
      newId: () => '0190f0c8-0000-7000-8000-0000000000ff',
    });
    await other.add(admin, { kind: 'WALLET', value: '0x8BA1f109551bD432803012645Ac136ddd64DBA72', reason: 'OFAC SDN' });
    assert.deepEqual(await check([], [WALLET]), [WALLET]);
  });

  it('expiry needs no notification: each check measures against its own time', async () => {
    const expiresAt = new Date(T0 + 3_600_000).toISOString();
    await service.add(admin, { kind: 'USER', value: 'mallory', reason: 'cooling-off', expiresAt });
    await service.watch();
    assert.deepEqual(await check(['mallory']), ['mallory']);
    now = T0 + 3_600_000;
    assert.deepEqual(await check(['mallory']), []);
    assert.equal(store.reads.notRemoved, 1);
  });

  it('hits come in the store order (kind, then value), one per listed value', async () => {
    for (const value of ['zed', 'amy']) await service.add(admin, { kind: 'USER', value, reason: 'r' });
    await service.add(admin, { kind: 'WALLET', value: WALLET, reason: 'r' });
    await service.watch();
    const hits = await check(['zed', 'amy', 'zed', 'bob'], [WALLET]);
    assert.deepEqual(hits, ['amy', 'zed', WALLET]);
  });

  it('a check that starts after a change never takes the answer of a read begun before it', async () => {
    await service.watch();
    const slow = deferred<BlacklistEntry[]>();
    const realRead = store.notRemoved.bind(store);
    const rowsBefore = await realRead(10);
    store.notRemoved = () => slow.promise;
    const before = check(['mallory']); // reads the list: the read is in flight
    store.notRemoved = realRead;
    await service.add(admin, { kind: 'USER', value: 'mallory', reason: 'fraud ring' });
    assert.deepEqual(await check(['mallory']), ['mallory'], 'a fresh read, not the one in flight');
    slow.resolve(rowsBefore);
    assert.deepEqual(await before, [], 'the earlier check answers as of before the add');
    assert.deepEqual(await check(['mallory']), ['mallory'], 'the late read did not replace the newer list');
  });

  it('past maxEntries every check asks the database; past maxAgeMs the list is read again', async () => {
    make({ maxEntries: 2, maxAgeMs: 1_000 });
    for (const value of ['a1', 'a2', 'a3']) await service.add(admin, { kind: 'USER', value, reason: 'r' });
    await service.watch();
    assert.deepEqual(await check(['a3']), ['a3']);
    assert.deepEqual(await check(['a1']), ['a1']);
    assert.deepEqual(store.reads, { findActive: 2, notRemoved: 1 });

    store.reads.findActive = 0;
    store.reads.notRemoved = 0;
    make({ maxEntries: 10, maxAgeMs: 1_000 });
    await service.watch();
    await check(['a1']);
    mono = 999;
    await check(['a1']);
    mono = 1_000;
    await check(['a1']);
    assert.deepEqual(store.reads, { findActive: 0, notRemoved: 2 });
  });

  it('after the returned stop, checks are queries again and notifications are ignored', async () => {
    const stop = await service.watch();
    await check(['mallory']);
    await stop();
    await check(['mallory']);
    store.notify();
    assert.deepEqual(store.reads, { findActive: 1, notRemoved: 1 });
  });
});

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
