import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { DomainError, type Actor } from '../domain/index.js';
import { BlacklistService } from './blacklist.js';
import { MemoryBlacklistStore } from './memoryBlacklist.kit.js';

const admin: Actor = { id: 'ops-alice', role: 'admin' };
const WALLET = '0x8BA1f109551bD432803012645Ac136ddd64DBA72';
const HOUR = 3_600_000;

/** A refusal: the code and, for validation, the field. */
async function refused(run: Promise<unknown>, code: string, field?: string): Promise<DomainError> {
  try {
    await run;
  } catch (err) {
    assert.ok(err instanceof DomainError, String(err));
    assert.equal(err.code, code, err.message);
    if (field) assert.equal(err.details.errors?.[0]?.field, field, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('BlacklistService', () => {
  let store: MemoryBlacklistStore;
  let now: number;
  let ids: number;
  let service: BlacklistService;

  beforeEach(() => {
    store = new MemoryBlacklistStore();
    now = Date.parse('2026-12-02T10:00:00.000Z');
    ids = 0;
    service = new BlacklistService({
      store,
      clock: { now: () => new Date(now) },
      newId: () => `0190f0c8-0000-7000-8000-${String(++ids).padStart(12, '0')}`,
    });
  });

  it('adds a user id and a wallet (lower-cased), audited with who and why; check finds both', async () => {
    const user = await service.add(admin, { kind: 'USER', value: 'buyer-1', reason: 'chargeback fraud' });
    assert.equal(user.dryRun, false);
    assert.deepEqual(
      { ...user.entry },
      {
        id: '0190f0c8-0000-7000-8000-000000000001',
        kind: 'USER',
        value: 'buyer-1',
        reason: 'chargeback fraud',
        source: 'MANUAL',
        expiresAt: null,
        createdBy: 'ops-alice',
        createdAt: '2026-12-02T10:00:00.000Z',
        removedAt: null,
        removedBy: null,
        removalReason: null,
      },
    );
    const wallet = await service.add(admin, {
      kind: 'WALLET',
      value: WALLET,
      reason: '  OFAC SDN list  ',
      source: 'OFAC',
      expiresAt: '2027-01-01T00:00:00+01:00',
    });
    assert.equal(wallet.entry.value, WALLET.toLowerCase());
    assert.equal(wallet.entry.reason, 'OFAC SDN list', 'trimmed');
    assert.equal(wallet.entry.expiresAt, '2026-12-31T23:00:00.000Z', 'normalised to UTC');
    assert.deepEqual(
      store.audits.map((a) => [a.action, a.actorId]),
      [
        ['BlacklistEntryAdded', 'ops-alice'],
        ['BlacklistEntryAdded', 'ops-alice'],
      ],
    );

    const hits = await service.check({ userIds: ['buyer-1', 'seller-1'], wallets: [WALLET.toUpperCase()] });
    assert.deepEqual(
      hits.map((h) => [h.kind, h.value, h.source, h.entryId]),
      [
        ['USER', 'buyer-1', 'MANUAL', user.entry.id],
        ['WALLET', WALLET.toLowerCase(), 'OFAC', wallet.entry.id],
      ],
    );
    assert.equal(hits[1]!.reason, 'OFAC SDN list');
    assert.deepEqual(await service.check({ userIds: ['seller-1'], wallets: ['0xabc'] }), []);
    assert.deepEqual(await service.check({ userIds: ['bad id with spaces'], wallets: ['0x/../'] }), []);
    assert.deepEqual(await service.check({}), []);
  });

  it('refuses bad input with the field and what to do, and stores nothing', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ kind: 'EMAIL', value: 'a', reason: 'r' }, 'kind', /USER, WALLET/],
      [{ kind: 'USER', value: 'has space', reason: 'r' }, 'value', /1-128/],
      [{ kind: 'USER', value: '', reason: 'r' }, 'value', /1-128/],
      [{ kind: 'WALLET', value: 'x'.repeat(129), reason: 'r' }, 'value', /wallet address/],
      [{ kind: 'WALLET', value: '0x12/34', reason: 'r' }, 'value', /wallet address/],
      [{ kind: 'USER', value: 'u-1', reason: '   ' }, 'reason', /1-500/],
      [{ kind: 'USER', value: 'u-1', reason: 'r'.repeat(501) }, 'reason', /1-500/],
      [{ kind: 'USER', value: 'u-1', reason: 'nul\u0000' }, 'reason', /NUL/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', source: '' }, 'source', /1-64/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', source: 'S'.repeat(65) }, 'source', /1-64/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', source: 'two words' }, 'source', /OFAC/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: 'tomorrow' }, 'expiresAt', /ISO 8601/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: '2026-13-01T00:00:00Z' }, 'expiresAt', /ISO 8601/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: '2026-12-02T10:00:00Z' }, 'expiresAt', /future/],
      [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: '2025-01-01T00:00:00Z' }, 'expiresAt', /future/],
    ];
    for (const [input, field, message] of cases) {
      const err = await refused(service.add(admin, input as never), 'VALIDATION_ERROR', field);
      assert.match(err.message, message, JSON.stringify(input));
    }
    assert.equal(store.entries.length, 0);
    assert.equal(store.audits.length, 0);
  });

  it('a dry run validates and looks for conflicts, and changes nothing', async () => {
    const dry = await service.add(admin, { kind: 'USER', value: 'u-1', reason: 'fraud', dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.entry.value, 'u-1');
    assert.equal(dry.entry.createdBy, 'ops-alice');
    assert.equal(store.entries.length, 0, 'nothing stored');
    assert.equal(store.audits.length, 0, 'not audited');
    await refused(service.add(admin, { kind: 'USER', value: 'u 1', reason: 'x', dryRun: true }), 'VALIDATION_ERROR');

    const { entry } = await service.add(admin, { kind: 'USER', value: 'u-1', reason: 'fraud' });
    const again = await refused(
      service.add(admin, { kind: 'USER', value: 'u-1', reason: 'again', dryRun: true }),
      'BLACKLIST_ENTRY_EXISTS',
      'value',
    );
    assert.match(again.message, new RegExp(entry.id));

    const removal = await service.remove(admin, { id: entry.id, reason: 'appeal granted', dryRun: true });
    assert.equal(removal.dryRun, true);
    assert.equal(removal.entry.removalReason, 'appeal granted');
    assert.equal(removal.entry.removedBy, 'ops-alice');
    assert.equal((await store.get(entry.id))?.removedAt, null, 'still in force');
    assert.equal(store.audits.length, 1, 'only the real add is audited');
  });

  it('one active entry per (kind, value): a second is refused naming the first; the same value of the other kind is not', async () => {
    const first = await service.add(admin, { kind: 'WALLET', value: '0xAbC', reason: 'scam', source: 'CHAINALYSIS' });
    const err = await refused(
      service.add(admin, { kind: 'WALLET', value: '0xabc', reason: 'again' }),
      'BLACKLIST_ENTRY_EXISTS',
    );
    assert.match(err.message, new RegExp(`entry ${first.entry.id}`));
    assert.match(err.message, /CHAINALYSIS: scam/);
    assert.match(err.message, /remove that entry first/);
    await service.add(admin, { kind: 'USER', value: '0xabc', reason: 'a user id that looks like it' });
    assert.equal(store.entries.length, 2);
  });

  it('removes softly (history kept, audited); removing again or an unknown id is BLACKLIST_ENTRY_NOT_FOUND', async () => {
    const { entry } = await service.add(admin, { kind: 'USER', value: 'seller-9', reason: 'fake listings' });
    const bob: Actor = { id: 'ops-bob', role: 'admin' };
    now += HOUR;
    const removed = await service.remove(bob, { id: entry.id, reason: ' cleared by support ' });
    assert.equal(removed.dryRun, false);
    assert.deepEqual(
      [removed.entry.removedAt, removed.entry.removedBy, removed.entry.removalReason],
      ['2026-12-02T11:00:00.000Z', 'ops-bob', 'cleared by support'],
    );
    assert.deepEqual(await service.check({ userIds: ['seller-9'] }), []);
    assert.equal(store.entries.length, 1, 'kept');
    assert.deepEqual(store.audits.at(-1), {
      action: 'BlacklistEntryRemoved',
      actorId: 'ops-bob',
      details: { reason: 'cleared by support', entry: store.entries[0] },
    });
    const twice = await refused(service.remove(bob, { id: entry.id, reason: 'x' }), 'BLACKLIST_ENTRY_NOT_FOUND');
    assert.match(twice.message, /already removed at 2026-12-02T11:00:00.000Z by ops-bob/);
    const unknown = '0190f0c8-0000-7000-8000-0000000000ff';
    assert.match(
      (await refused(service.remove(bob, { id: unknown, reason: 'x' }), 'BLACKLIST_ENTRY_NOT_FOUND')).message,
      /no blacklist entry/,
    );
    await refused(service.remove(bob, { id: 'not-a-uuid', reason: 'x' }), 'VALIDATION_ERROR', 'entryId');
    assert.deepEqual(await service.get(entry.id), removed.entry, 'get answers removed entries too');
    await refused(service.get(unknown), 'BLACKLIST_ENTRY_NOT_FOUND');
    await refused(service.get('nope'), 'VALIDATION_ERROR', 'entryId');
    await refused(service.remove(bob, { id: unknown, reason: '' }), 'VALIDATION_ERROR', 'reason');
    // the value can be blacklisted again: a new entry, the old one stays in the history
    await service.add(admin, { kind: 'USER', value: 'seller-9', reason: 'again' });
    assert.equal((await service.check({ userIds: ['seller-9'] })).length, 1);
    assert.equal(store.entries.length, 2);
  });

  it('an entry stops applying at its expiry, and the value can then be added again', async () => {
    const { entry } = await service.add(admin, {
      kind: 'USER',
      value: 'buyer-7',
      reason: 'cooling off',
      expiresAt: '2026-12-02T12:00:00.000Z',
    });
    now += HOUR;
    assert.equal((await service.check({ userIds: ['buyer-7'] }))[0]?.expiresAt, '2026-12-02T12:00:00.000Z');
    now += HOUR; // exactly the expiry: no longer active
    assert.deepEqual(await service.check({ userIds: ['buyer-7'] }), []);
    assert.deepEqual((await service.list({ active: true })).data, []);
    assert.deepEqual(
      (await service.list({ active: false })).data.map((e) => e.id),
      [entry.id],
    );
    const next = await service.add(admin, { kind: 'USER', value: 'buyer-7', reason: 'second offence' });
    assert.equal((await service.check({ userIds: ['buyer-7'] }))[0]?.entryId, next.entry.id);
  });

  it('lists newest first, by kind and activity, in pages with a cursor', async () => {
    for (let i = 0; i < 5; i++) {
      await service.add(admin, { kind: i % 2 ? 'WALLET' : 'USER', value: `v-${i}`, reason: `r${i}` });
      now += 1000;
    }
    const first = await service.list({ limit: 2 });
    assert.deepEqual(
      first.data.map((e) => e.value),
      ['v-4', 'v-3'],
    );
    assert.ok(first.nextCursor);
    const second = await service.list({ limit: 2, cursor: first.nextCursor });
    assert.deepEqual(
      second.data.map((e) => e.value),
      ['v-2', 'v-1'],
    );
    const third = await service.list({ limit: 2, cursor: second.nextCursor });
    assert.deepEqual(
      third.data.map((e) => e.value),
      ['v-0'],
    );
    assert.equal(third.nextCursor, null);
    assert.deepEqual(
      (await service.list({ kind: 'WALLET' })).data.map((e) => e.value),
      ['v-3', 'v-1'],
    );
    await refused(service.list({ kind: 'EMAIL' }), 'VALIDATION_ERROR', 'kind');
    await refused(service.list({ limit: 0 }), 'VALIDATION_ERROR', 'limit');
    await refused(service.list({ limit: 101 }), 'VALIDATION_ERROR', 'limit');
    await refused(service.list({ cursor: 'garbage' }), 'VALIDATION_ERROR', 'cursor');
  });
});
