import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { BlacklistChange, BlacklistPage } from '../src/app/blacklist.js';
import { blacklistServer, type BlacklistServer } from './blacklistHarness.js';
import { engineKinds, tableCounts } from './harness.js';

// GET/POST /api/admin/blacklist and POST /api/admin/blacklist/{entryId}/remove (SPEC §6, seed 003 RB-04): admin only,
// audited with who and why, a dry run that changes nothing, problem+json naming the field for bad input.

const WALLET = '0x8BA1f109551bD432803012645Ac136ddd64DBA72';
const PROBLEM = /^application\/problem\+json/;

for (const kind of engineKinds()) {
  describe(`blacklist admin routes (${kind})`, () => {
    let s: BlacklistServer;
    let admin: string;

    before(async () => {
      s = await blacklistServer(kind);
      admin = await s.token('ops-alice', 'admin');
    });
    after(() => s.close());

    /** Every table a change could touch, the blacklist's own included. */
    const counts = async () => ({
      ...(await tableCounts(s.testDb.db)),
      blacklist_entries: (await s.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM blacklist_entries'))
        .rows[0]!.n,
    });

    const audits = async () =>
      (
        await s.testDb.db.query<{
          actor_id: string;
          action: string;
          details: { reason: string; entry: { id: string } };
        }>(`SELECT actor_id, action, details FROM audit_logs WHERE action LIKE 'BlacklistEntry%' ORDER BY id`)
      ).rows;

    it('adds (201, wallet lower-cased, audited), refuses a second active entry (409 naming it), lists it', async () => {
      const res = await s.call<BlacklistChange>('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'WALLET', value: WALLET, reason: 'OFAC SDN list match', source: 'OFAC' },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.dryRun, false);
      assert.equal(res.body.entry.value, WALLET.toLowerCase());
      assert.equal(res.body.entry.createdBy, 'ops-alice');
      assert.equal(res.body.entry.expiresAt, null);
      const rows = await audits();
      assert.deepEqual(
        rows.map((r) => [r.actor_id, r.action, r.details.reason, r.details.entry.id]),
        [['ops-alice', 'BlacklistEntryAdded', 'OFAC SDN list match', res.body.entry.id]],
      );

      const dup = await s.call('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'WALLET', value: WALLET.toUpperCase().replace('0X', '0x'), reason: 'again' },
      });
      assert.equal(dup.status, 409, dup.text);
      assert.match(dup.headers.get('content-type') ?? '', PROBLEM);
      assert.equal(dup.body.code, 'BLACKLIST_ENTRY_EXISTS');
      assert.match(String(dup.body.detail), new RegExp(`entry ${res.body.entry.id}`));

      const list = await s.call<BlacklistPage>('GET', '/api/admin/blacklist?kind=WALLET&active=true', { token: admin });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body, { data: [res.body.entry], nextCursor: null });
      assert.equal((await audits()).length, 1, 'the refused add is not audited');
    });

    it('a dry run answers 200 with the entry it would add or remove, and changes nothing', async () => {
      const before = await counts();
      const dry = await s.call<BlacklistChange>('POST', '/api/admin/blacklist', {
        token: admin,
        body: {
          kind: 'USER',
          value: 'buyer-1042',
          reason: 'chargeback fraud',
          expiresAt: '2027-06-30T00:00:00Z',
          dryRun: true,
        },
      });
      assert.equal(dry.status, 200, dry.text);
      assert.equal(dry.body.dryRun, true);
      assert.equal(dry.body.entry.expiresAt, '2027-06-30T00:00:00.000Z');
      assert.deepEqual(await counts(), before, 'nothing stored, not even an audit row');

      const added = await s.call<BlacklistChange>('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'USER', value: 'buyer-1042', reason: 'chargeback fraud' },
      });
      assert.equal(added.status, 201, added.text);
      const afterAdd = await counts();
      const dryRemove = await s.call<BlacklistChange>('POST', `/api/admin/blacklist/${added.body.entry.id}/remove`, {
        token: admin,
        body: { reason: 'appeal granted', dryRun: true },
      });
      assert.equal(dryRemove.status, 200, dryRemove.text);
      assert.equal(dryRemove.body.dryRun, true);
      assert.equal(dryRemove.body.entry.removedBy, 'ops-alice');
      assert.deepEqual(await counts(), afterAdd);
      assert.equal((await s.service.check({ userIds: ['buyer-1042'] })).length, 1, 'still in force');
    });

    it('removes (kept, audited with who and why); a second remove or an unknown entry is 404', async () => {
      const added = await s.call<BlacklistChange>('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'USER', value: 'seller-77', reason: 'fake listings' },
      });
      const bob = await s.token('ops-bob', 'admin');
      const path = `/api/admin/blacklist/${added.body.entry.id}/remove`;
      const removed = await s.call<BlacklistChange>('POST', path, {
        token: bob,
        body: { reason: 'cleared by support' },
      });
      assert.equal(removed.status, 200, removed.text);
      assert.equal(removed.body.entry.removedBy, 'ops-bob');
      assert.equal(removed.body.entry.removalReason, 'cleared by support');
      assert.deepEqual((await s.service.check({ userIds: ['seller-77'] })).length, 0);
      const last = (await audits()).at(-1)!;
      assert.deepEqual(
        [last.actor_id, last.action, last.details.reason],
        ['ops-bob', 'BlacklistEntryRemoved', 'cleared by support'],
      );

      const again = await s.call('POST', path, { token: bob, body: { reason: 'again' } });
      assert.equal(again.status, 404, again.text);
      assert.equal(again.body.code, 'BLACKLIST_ENTRY_NOT_FOUND');
      assert.match(String(again.body.detail), /already removed/);
      const unknown = await s.call('POST', `/api/admin/blacklist/${randomUUID()}/remove`, {
        token: bob,
        body: { reason: 'x' },
      });
      assert.equal(unknown.status, 404, unknown.text);

      const history = await s.call<BlacklistPage>('GET', '/api/admin/blacklist?active=false', { token: admin });
      assert.ok(history.body.data.some((e) => e.id === added.body.entry.id && e.removedAt !== null));
      const active = await s.call<BlacklistPage>('GET', '/api/admin/blacklist?active=true', { token: admin });
      assert.ok(!active.body.data.some((e) => e.id === added.body.entry.id));
    });

    it('pages newest first with a cursor, limit at most 100', async () => {
      for (let i = 0; i < 3; i++) {
        s.clock.advance(1000);
        const r = await s.call('POST', '/api/admin/blacklist', {
          token: admin,
          body: { kind: 'USER', value: `page-${i}`, reason: 'r' },
        });
        assert.equal(r.status, 201, r.text);
      }
      const first = await s.call<BlacklistPage>('GET', '/api/admin/blacklist?kind=USER&limit=2', { token: admin });
      assert.deepEqual(
        first.body.data.map((e) => e.value),
        ['page-2', 'page-1'],
      );
      assert.ok(first.body.nextCursor);
      const next = await s.call<BlacklistPage>(
        'GET',
        `/api/admin/blacklist?kind=USER&limit=2&cursor=${first.body.nextCursor}`,
        { token: admin },
      );
      assert.equal(next.body.data[0]?.value, 'page-0');
      for (const q of ['limit=0', 'limit=101', 'limit=x', 'kind=EMAIL', 'active=yes', 'cursor=nope', 'other=1']) {
        const res = await s.call('GET', `/api/admin/blacklist?${q}`, { token: admin });
        assert.equal(res.status, 400, `${q}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', PROBLEM);
      }
    });

    it('bad input is 400 naming the field, and stores nothing', async () => {
      const before = await counts();
      const cases: [unknown, string][] = [
        [{ kind: 'USER', value: 'has space', reason: 'r' }, 'value'],
        [{ kind: 'WALLET', value: '0x12/34', reason: 'r' }, 'value'],
        [{ kind: 'EMAIL', value: 'a@b', reason: 'r' }, 'kind'],
        [{ kind: 'USER', value: 'u-1', reason: '  ' }, 'reason'],
        [{ kind: 'USER', value: 'u-1' }, 'reason'],
        [{ kind: 'USER', value: 'u-1', reason: 'r', source: 'two words' }, 'source'],
        [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
        [{ kind: 'USER', value: 'u-1', reason: 'r', expiresAt: 'tomorrow' }, 'expiresAt'],
        [{ kind: 'USER', value: 'u-1', reason: 'r', dryRun: 'yes' }, 'dryRun'],
        [{ kind: 'USER', value: 'u-1', reason: 'r', extra: 1 }, 'extra'],
      ];
      for (const [body, field] of cases) {
        const res = await s.call<{ code: string; errors?: { field: string }[] }>('POST', '/api/admin/blacklist', {
          token: admin,
          body,
        });
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', PROBLEM);
        assert.ok(
          res.body.errors?.some((e) => e.field === field),
          `${JSON.stringify(body)} names ${field}: ${res.text}`,
        );
      }
      for (const [path, body] of [
        ['/api/admin/blacklist/not-a-uuid/remove', { reason: 'r' }],
        [`/api/admin/blacklist/${randomUUID()}/remove`, {}],
        [`/api/admin/blacklist/${randomUUID()}/remove`, { reason: 'r', extra: true }],
      ] as const) {
        const res = await s.call('POST', path, { token: admin, body });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
      }
      assert.deepEqual(await counts(), before);
    });

    it('admins only: 401 without a token, 403 for user and service callers', async () => {
      const before = await counts();
      const body = { kind: 'USER', value: 'u-9', reason: 'r' };
      assert.equal((await s.call('POST', '/api/admin/blacklist', { body })).status, 401);
      assert.equal((await s.call('GET', '/api/admin/blacklist')).status, 401);
      for (const role of ['user', 'service'] as const) {
        const token = await s.token('someone', role);
        assert.equal((await s.call('POST', '/api/admin/blacklist', { token, body })).status, 403, role);
        assert.equal((await s.call('GET', '/api/admin/blacklist', { token })).status, 403, role);
        const remove = await s.call('POST', `/api/admin/blacklist/${randomUUID()}/remove`, {
          token,
          body: { reason: 'r' },
        });
        assert.equal(remove.status, 403, role);
      }
      assert.deepEqual(await counts(), before);
    });
  });
}
