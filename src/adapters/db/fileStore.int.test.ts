import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engineKinds, freshDatabase, type TestDb } from '../../../test/harness.js';
import type { NewEscrowFile } from '../../app/ports/fileStore.js';
import { SqlFileStore } from './fileStore.js';

const T0 = '2026-12-02T10:00:00.000Z';
const T1 = '2026-12-02T10:03:00.000Z';
const SHA = 'a'.repeat(64);
const buyer = { id: 'buyer-1', role: 'user' };

for (const kind of engineKinds()) {
  describe(`file store (${kind})`, () => {
    let t: TestDb;
    let store: SqlFileStore;
    let escrowA: string;
    let escrowB: string;

    /** A bare escrow row: escrow_files rows must belong to one. */
    const escrow = async () => {
      const id = randomUUID();
      await t.db.query(
        `INSERT INTO escrows (id, offer_id, buyer_id, seller_id, rail, currency, amount, buyer_fee, seller_fee, status,
                              version, expires_at, payment, payment_reference, created_at, updated_at)
         VALUES ($1, $2, 'buyer-1', 'seller-1', 'SANDBOX', 'USD', 1000, 0, 0, 'AWAIT_FUNDS', 1, $3, '{}', $2, $3, $3)`,
        [id, `offer-${id}`, T0],
      );
      return id;
    };

    const file = (over: Partial<NewEscrowFile> = {}): NewEscrowFile => {
      const id = randomUUID();
      return {
        id,
        escrowId: escrowA,
        purpose: 'EVIDENCE',
        fileName: 'invoice.pdf',
        contentType: 'application/pdf',
        size: 1234,
        sha256: SHA,
        status: 'STORED',
        storageKey: `escrows/${over.escrowId ?? escrowA}/${id}`,
        actor: buyer,
        at: T0,
        ...over,
      };
    };

    const audits = async (fileId: string) =>
      (
        await t.db.query<{
          escrow_id: string;
          actor_id: string;
          actor_role: string;
          action: string;
          details: Record<string, unknown>;
          created_at: string;
        }>(
          `SELECT escrow_id, actor_id, actor_role, action, details, iso(created_at) AS created_at FROM audit_logs
            WHERE details ->> 'fileId' = $1 ORDER BY id`,
          [fileId],
        )
      ).rows;

    before(async () => {
      t = await freshDatabase(kind);
      store = new SqlFileStore(t.db);
      escrowA = await escrow();
      escrowB = await escrow();
    });
    after(() => t.drop());

    it('inserts a STORED file with its FileUploaded audit row, and reads it back every way', async () => {
      const f = file({ fileName: 'Facture n°7.pdf' });
      const stored = await store.insert(f);
      assert.deepEqual(stored, {
        id: f.id,
        escrowId: escrowA,
        purpose: 'EVIDENCE',
        fileName: 'Facture n°7.pdf',
        contentType: 'application/pdf',
        size: 1234,
        sha256: SHA,
        status: 'STORED',
        uploadedBy: 'buyer-1',
        createdAt: T0,
        storedAt: T0,
        storageKey: f.storageKey,
      });
      assert.deepEqual(await store.get(escrowA, f.id), stored);
      assert.equal(await store.get(escrowB, f.id), null, "another escrow's file is not found through it");
      assert.equal(await store.get(escrowA, randomUUID()), null);
      assert.deepEqual(await store.getByKey(f.storageKey), stored);
      assert.equal(await store.getByKey('escrows/x/y'), null);
      assert.deepEqual(await audits(f.id), [
        {
          escrow_id: escrowA,
          actor_id: 'buyer-1',
          actor_role: 'user',
          action: 'FileUploaded',
          details: {
            fileId: f.id,
            fileName: 'Facture n°7.pdf',
            sha256: SHA,
            size: 1234,
            contentType: 'application/pdf',
            purpose: 'EVIDENCE',
            status: 'STORED',
          },
          created_at: T0,
        },
      ]);
    });

    it('a PENDING file becomes STORED once, audited as FileStored; a second time changes nothing', async () => {
      const f = file({ status: 'PENDING', sha256: null, size: 10, purpose: 'DELIVERABLE' });
      const pending = await store.insert(f);
      assert.deepEqual(
        { status: pending.status, size: pending.size, sha256: pending.sha256, storedAt: pending.storedAt },
        { status: 'PENDING', size: 10, sha256: null, storedAt: null },
      );
      const admin = { id: 'ops-admin', role: 'admin' };
      const change = { escrowId: escrowA, fileId: f.id, size: 12, sha256: 'b'.repeat(64), actor: admin, at: T1 };
      assert.equal(await store.markStored({ ...change, escrowId: escrowB }), null);
      const done = await store.markStored(change);
      assert.ok(done);
      assert.equal(done.changed, true);
      assert.deepEqual(
        { status: done.file.status, size: done.file.size, sha256: done.file.sha256, storedAt: done.file.storedAt },
        { status: 'STORED', size: 12, sha256: 'b'.repeat(64), storedAt: T1 },
      );
      const again = await store.markStored({ ...change, sha256: 'c'.repeat(64), at: '2026-12-02T11:00:00.000Z' });
      assert.deepEqual(again, { file: done.file, changed: false });
      const rows = await audits(f.id);
      assert.deepEqual(
        rows.map((r) => [r.action, r.actor_id, r.actor_role, r.details.status, r.details.sha256, r.created_at]),
        [
          ['FileUploaded', 'buyer-1', 'user', 'PENDING', null, T0],
          ['FileStored', 'ops-admin', 'admin', 'STORED', 'b'.repeat(64), T1],
        ],
      );
      assert.equal(await store.markStored({ ...change, fileId: randomUUID() }), null);
    });

    it('getMany answers only the escrow own files among the ids; list is oldest first', async () => {
      const e = await escrow();
      const a = await store.insert(file({ escrowId: e, at: T1 }));
      const b = await store.insert(file({ escrowId: e, at: T0 }));
      const foreign = await store.insert(file({ escrowId: escrowB }));
      const many = await store.getMany(e, [a.id, foreign.id, randomUUID(), b.id]);
      assert.deepEqual(many.map((f) => f.id).sort(), [a.id, b.id].sort());
      assert.deepEqual(await store.getMany(e, []), []);
      assert.deepEqual(
        (await store.list(e)).map((f) => f.id),
        [b.id, a.id],
      );
    });

    it('the table refuses what the store must never write: a STORED row without a hash, a key twice', async () => {
      await assert.rejects(store.insert(file({ sha256: null })));
      const f = file();
      await store.insert(f);
      await assert.rejects(store.insert(file({ storageKey: f.storageKey })));
      const failed = file({ sha256: null });
      await assert.rejects(store.insert(failed));
      assert.deepEqual(await audits(failed.id), [], 'no audit row for a refused insert');
    });
  });
}
