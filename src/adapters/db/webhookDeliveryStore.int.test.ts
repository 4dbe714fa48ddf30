import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  FakeClock,
  fundedEscrow,
  freshDatabase,
  testEngine,
  type TestDb,
  type TestEngine,
} from '../../../test/harness.js';
import type { Database } from './database.js';
import { SqlWebhookDeliveryStore } from './webhookDeliveryStore.js';

// The webhooks cursor against PostgreSQL's commit order (migration 020): identity ids are handed out before commit,
// so the fan-out must never pass a row a transaction still running will commit, and the claim must keep each
// escrow's order even where the cursor's order is not the escrow's.

const service = { id: 'marketplace', role: 'service' } as const;

describe(
  'webhooks fan-out and claim (postgres)',
  { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' },
  () => {
    let testDb: TestDb;
    let t: TestEngine;
    let other: Database;
    let store: SqlWebhookDeliveryStore;
    let endpointId: string;
    before(async () => {
      testDb = await freshDatabase('postgres');
      other = await testDb.openAnother(1);
      t = await testEngine('postgres', { WEBHOOKS_ALLOW_PRIVATE: 'true' }, { db: testDb.db, clock: new FakeClock() });
      store = new SqlWebhookDeliveryStore(testDb.db);
    });
    after(async () => {
      await t.engine.stop();
      await testDb.drop();
    });

    /** Two escrows' events, already past the cursor (no endpoint then): the test announces them again by hand. */
    const eventsOf = async (escrowId: string) =>
      (
        await testDb.db.query<{ event_id: string; sequence: number }>(
          'SELECT event_id::text AS event_id, sequence FROM escrow_events WHERE escrow_id = $1::uuid ORDER BY sequence',
          [escrowId],
        )
      ).rows;
    const announce = (db: { query: Database['query'] }, escrowId: string, eventId: string) =>
      db.query('INSERT INTO outbox (event_id, escrow_id) VALUES ($1::uuid, $2::uuid)', [eventId, escrowId]);
    const messages = async () =>
      (
        await testDb.db.query<{ event_id: string }>(
          'SELECT event_id::text AS event_id FROM webhook_messages ORDER BY id',
        )
      ).rows.map((r) => r.event_id);

    it('does not pass a row that a transaction still running will commit', async () => {
      const x = await fundedEscrow(t.engine);
      const y = await fundedEscrow(t.engine);
      while ((await store.fanOut(500)) > 0); // no endpoint yet: the cursor passes them, no message
      endpointId = (await t.engine.webhookEndpoints.create(service, { url: 'http://127.0.0.1:9/hooks' })).endpoint.id;
      await t.engine.webhookEndpoints.update(service, endpointId, { enabled: true });
      const [x1] = await eventsOf(x);
      const [y1] = await eventsOf(y);
      // a transaction takes a lower id and stays open; a later one commits a higher id
      await other.query('BEGIN');
      await announce(other, x, x1!.event_id);
      await announce(testDb.db, y, y1!.event_id);
      assert.equal(await store.fanOut(500), 0, 'the committed row waits behind the open transaction');
      assert.deepEqual(await messages(), []);
      await other.query('COMMIT');
      assert.equal(await store.fanOut(500), 2);
      assert.deepEqual(await messages(), [x1!.event_id, y1!.event_id], 'both, in commit-safe order');
      assert.equal(await store.fanOut(500), 0, 'and nothing twice');
    });

    it("keeps an escrow's order when a transaction that took its xid first commits the later event", async () => {
      await testDb.db.query('DELETE FROM webhook_messages');
      const z = await fundedEscrow(t.engine);
      while ((await store.fanOut(500)) > 0); // the engine's own rows for z (fanned out: clear them again)
      await testDb.db.query('DELETE FROM webhook_messages');
      const [z1, z2] = await eventsOf(z);
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()'); // this transaction's xid is older ...
      await announce(testDb.db, z, z1!.event_id); // ... than the one committing sequence 1
      await announce(other, z, z2!.event_id); // sequence 2, committed last
      await other.query('COMMIT');
      assert.equal(await store.fanOut(1), 1);
      assert.deepEqual(await messages(), [z2!.event_id], 'the cursor meets sequence 2 first');
      assert.deepEqual(await store.claim(10, 60_000, 'test'), [], 'sequence 2 waits: sequence 1 is still to fan out');
      assert.equal(await store.fanOut(1), 1);
      const claimed = await store.claim(10, 60_000, 'test');
      assert.deepEqual(
        claimed.map((m) => m.eventId),
        [z1!.event_id],
        'sequence 1 goes first, alone',
      );
      assert.equal((JSON.parse(claimed[0]!.body) as { sequence: number }).sequence, 1);
      assert.ok(claimed[0]!.secrets[0]!.startsWith('whsec_'));
      assert.equal(
        await store.record({
          messageId: claimed[0]!.id,
          owner: 'test',
          attempt: 1,
          status: 204,
          latencyMs: 3,
          responseExcerpt: '',
          error: null,
          outcome: 'DELIVERED',
          endpointSucceeded: true,
        }),
        true,
      );
      assert.deepEqual(
        (await store.claim(10, 60_000, 'test')).map((m) => m.eventId),
        [z2!.event_id],
        'then sequence 2',
      );
    });

    it('a cursor restored from a dump (ahead of every xid) is rebased: what was not fanned out still is', async () => {
      await testDb.db.query('DELETE FROM webhook_messages');
      while ((await store.fanOut(500)) > 0);
      // what pg_dump into a younger cluster leaves: the cursor and the rows' xids far ahead of the new xids
      await testDb.db.query(
        `UPDATE webhook_cursor SET tx = ((pg_current_xact_id()::text::bigint + 50000000)::text)::xid8,
                updated_at = now()`,
      );
      await testDb.db.query(`UPDATE outbox SET tx = ((tx::text::bigint + 50000000)::text)::xid8 WHERE tx IS NOT NULL`);
      const w = await fundedEscrow(t.engine);
      let rebased = 0;
      store.onRebase = () => rebased++;
      assert.equal(await store.fanOut(500), 0, 'the rebase itself');
      assert.equal(rebased, 1);
      assert.equal(await store.fanOut(500), 2, "the new escrow's two events");
      const { rows } = await testDb.db.query<{ escrow_id: string; n: number }>(
        'SELECT escrow_id::text AS escrow_id, count(*)::int AS n FROM webhook_messages GROUP BY escrow_id',
      );
      assert.deepEqual(rows, [{ escrow_id: w, n: 2 }], 'nothing fanned out before the dump comes again');
      assert.equal(await store.fanOut(500), 0);
    });
  },
);
