import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import { SqlVaultSecretStore } from '../src/adapters/db/vaultSecretStore.js';
import { generateVaultKey } from '../src/adapters/vault/config.js';
import { newId } from '../src/app/ids.js';
import { ORPHAN_SECRET_MAX_AGE_MS, VaultSecretMissingError, type VaultSecretStore } from '../src/app/ports/index.js';
import { DomainError } from '../src/domain/index.js';
import { actors, assertDatabaseVerifies, engineKinds, escrowInput } from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';

// Concurrent vault sets on one escrow (docs/vault.md): each set stores its sealed secret before its SetVault commits,
// and a commit deletes only the secret its vault replaced (migration 015), so a racing set never loses its own secret
// to another's commit; a secret that did go missing (ES404) is stored again and retried, never recorded as the
// command's refusal; orphans (stored for a set that never committed) are swept after an hour.

interface Escrow {
  id: string;
  payment: { reference: string };
  vault: { fingerprint: string; revision: number } | null;
}

const KEY = `k1:${generateVaultKey()}`;
const RETRYABLE = new Set(['VERSION_CONFLICT', 'VAULT_BUSY']);

const secretRows = async (db: Database, escrowId: string) =>
  (
    await db.query<{ fingerprint: string }>('SELECT fingerprint FROM vault_secrets WHERE escrow_id = $1', [escrowId])
  ).rows.map((r) => r.fingerprint);

for (const kind of engineKinds()) {
  describe(`concurrent vault sets (${kind})`, () => {
    let s: TestServer;
    const t = { buyer: '', seller: '', admin: '' };
    before(async () => {
      s = await testServer(kind, { VAULT_KEY: KEY });
      t.buyer = await s.token('buyer-1', 'user');
      t.seller = await s.token('seller-1', 'user');
      t.admin = await s.token('admin-1', 'admin');
      // counts the secrets stored: a set stores its secret again only after it went missing (ES404)
      const secrets = (s.engine.vault as unknown as { deps: { secrets: VaultSecretStore } }).deps.secrets;
      const put = secrets.put.bind(secrets);
      secrets.put = (secret, at) => {
        stored++;
        return put(secret, at);
      };
    });
    after(() => s.close());
    let stored = 0;
    let requests = 0;

    const put = (id: string, secret: string, key: string) => {
      requests++;
      return s.call<Escrow & { code?: string }>('PUT', `/api/escrow/${id}/vault`, {
        token: t.seller,
        body: { kind: 'CREDENTIALS', secret },
        headers: { 'idempotency-key': key },
      });
    };
    const escrowOf = async (id: string) => (await s.call<Escrow>('GET', `/api/escrow/${id}`, { token: t.admin })).body;

    /** Sets the vault `n` times at once; the ones refused retryably are retried with their key until they apply. */
    async function raceSets(id: string, n: number, round: number) {
      const sets = Array.from({ length: n }, (_, i) => ({ secret: `secret-${round}-${i}`, key: newId() }));
      const first = await Promise.all(sets.map((x) => put(id, x.secret, x.key)));
      const fingerprints = new Map<string, string>();
      for (const [i, res] of first.entries()) {
        let answer: HttpResult<Escrow & { code?: string }> = res;
        for (let attempt = 0; answer.status !== 200 && attempt < 5; attempt++) {
          assert.ok(answer.status === 409 || answer.status === 503, answer.text);
          assert.ok(RETRYABLE.has(answer.body.code ?? ''), answer.text);
          answer = await put(id, sets[i]!.secret, sets[i]!.key);
        }
        assert.equal(answer.status, 200, answer.text);
        fingerprints.set(answer.body.vault!.fingerprint, sets[i]!.secret);
      }
      return { first, fingerprints };
    }

    it('every set applies (or conflicts retryably); the vault cites a stored secret, the only one left', async () => {
      const created = await s.call<Escrow>('POST', '/api/escrow', { token: t.buyer, body: escrowInput() });
      const id = created.body.id;
      let sets = 0;
      for (let round = 0; round < 4; round++) {
        const { first, fingerprints } = await raceSets(id, 4, round);
        sets += fingerprints.size;
        assert.ok(
          first.some((r) => r.status === 200),
          'at least one set of each round applied at once',
        );
        const e = await escrowOf(id);
        assert.equal(e.vault!.revision, sets, 'each set is one revision');
        assert.ok(fingerprints.has(e.vault!.fingerprint), 'the vault cites one of this round');
        assert.deepEqual(await secretRows(s.engine.db, id), [e.vault!.fingerprint], 'no stale secret remains');
      }
      const { rows } = await s.engine.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM processed_commands WHERE escrow_id = $1 AND rejected`,
        [id],
      );
      assert.equal(rows[0]!.n, 0, 'no set recorded a refusal as its outcome');
      assert.equal(stored, requests, "no set's secret went missing before its command committed");

      // the last set wins: the buyer reveals the secret the vault cites
      const { fingerprints } = await raceSets(id, 3, 9);
      assert.equal(
        (await s.call('POST', `/api/sandbox/payments/${created.body.payment.reference}/succeed`)).status,
        200,
      );
      const last = await escrowOf(id);
      const revealed = await s.call<{ secret: string; fingerprint: string }>('POST', `/api/escrow/${id}/vault/reveal`, {
        token: t.buyer,
        body: {},
      });
      assert.equal(revealed.status, 200, revealed.text);
      assert.equal(revealed.body.fingerprint, last.vault!.fingerprint);
      assert.equal(revealed.body.secret, fingerprints.get(last.vault!.fingerprint));
      assert.deepEqual(await secretRows(s.engine.db, id), [last.vault!.fingerprint]);
      await assertDatabaseVerifies(s.engine);
    });

    it('a SetVault citing a secret that is not stored fails unrecorded (not VAULT_EMPTY) and can be retried', async () => {
      const created = await s.engine.service.create(actors.buyer, escrowInput());
      const id = created.escrow.id;
      const commandId = newId();
      const fingerprint = 'ab'.repeat(32);
      const setVault = () =>
        s.engine.service.execute(
          'SetVault',
          id,
          actors.seller,
          { kind: 'OTHER', fingerprint },
          {
            commandId,
            recordRejection: true,
          },
        );
      await assert.rejects(setVault(), (err: unknown) => {
        assert.ok(err instanceof VaultSecretMissingError, String(err));
        assert.ok(!(err instanceof DomainError));
        return true;
      });
      const { rows } = await s.engine.db.query('SELECT 1 FROM processed_commands WHERE command_id = $1', [commandId]);
      assert.equal(rows.length, 0, 'not the command outcome');
      const store = new SqlVaultSecretStore(s.engine.db);
      const sealed = { keyId: 'k1', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' };
      await store.put({ fingerprint, escrowId: id, sealed }, s.clock.now().toISOString());
      const applied = await setVault();
      assert.equal(applied.escrow.vault?.fingerprint, fingerprint, 'the same command applies once its secret is there');
      await assertDatabaseVerifies(s.engine);
    });

    it('orphans: a put sweeps its escrow’s uncited secrets older than an hour; rotate sweeps every escrow', async () => {
      const store = new SqlVaultSecretStore(s.engine.db);
      const [a, b] = [
        (await s.engine.service.create(actors.buyer, escrowInput())).escrow.id,
        (await s.engine.service.create(actors.buyer, escrowInput())).escrow.id,
      ];
      const sealed = { keyId: 'k1', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' };
      const at = (ms: number) => new Date(s.clock.now().getTime() - ms).toISOString();
      const old = at(ORPHAN_SECRET_MAX_AGE_MS + 1000);
      for (const [escrowId, fingerprint, when] of [
        [a, 'a1'.repeat(32), old],
        [a, 'a2'.repeat(32), at(ORPHAN_SECRET_MAX_AGE_MS - 60_000)],
        [b, 'b1'.repeat(32), old],
      ] as const) {
        await store.put({ fingerprint, escrowId, sealed }, when);
      }
      assert.equal(
        (await put(a, 'the real one', newId())).status,
        200,
        'a set of escrow a sweeps its old orphan, not the young one',
      );
      const cited = (await escrowOf(a)).vault!.fingerprint;
      assert.deepEqual((await secretRows(s.engine.db, a)).sort(), [cited, 'a2'.repeat(32)].sort());
      assert.deepEqual(await secretRows(s.engine.db, b), ['b1'.repeat(32)], "another escrow's orphans stay");

      // a refused set leaves nothing behind
      const c = (await s.engine.service.create(actors.buyer, escrowInput())).escrow.id;
      const refused = await s.call<{ code: string }>('PUT', `/api/escrow/${c}/vault`, {
        token: t.seller,
        body: { kind: 'FILE', secret: 'no file cited' },
      });
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(await secretRows(s.engine.db, c), []);

      await s.engine.vault.rotate(actors.admin, { reason: 'sweep', dryRun: true });
      assert.deepEqual(await secretRows(s.engine.db, b), ['b1'.repeat(32)], 'a dry run changes nothing');
      await s.engine.vault.rotate(actors.admin, { reason: 'sweep' });
      assert.deepEqual(await secretRows(s.engine.db, b), [], 'the rotation swept the old orphan');
      assert.deepEqual((await secretRows(s.engine.db, a)).sort(), [cited, 'a2'.repeat(32)].sort());
      await assertDatabaseVerifies(s.engine);
    });
  });
}
