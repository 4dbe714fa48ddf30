import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import { generateVaultKey } from '../src/adapters/vault/config.js';
import { keyedCommandId, requestHash } from '../src/http/idempotency.js';
import { canonical } from '../src/app/verify.js';
import { assertDatabaseVerifies, engineKinds, escrowInput } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The vault's keys beyond sealing (docs/vault.md): an Idempotency-Key's stored request hash covers a keyed digest of
// the secret (HMAC under a key derived from VAULT_KEY), never the secret, so a weak password cannot be brute-forced
// from it; and a rotation that meets a secret under a key this process was not given answers a clear problem.

const ROUTE = '/api/escrow/:id/vault';
const PASSWORD = 'hunter2';

const hashes = async (db: Database, commandId: string) => {
  const key = await db.query<{ request_hash: string }>('SELECT request_hash FROM idempotency_keys WHERE id = $1', [
    commandId,
  ]);
  const command = await db.query<{ hash: string }>(
    `SELECT result ->> 'requestHash' AS hash FROM processed_commands WHERE command_id = $1`,
    [commandId],
  );
  return { stored: key.rows[0]?.request_hash, command: command.rows[0]?.hash };
};

for (const kind of engineKinds()) {
  describe(`the vault's Idempotency-Key hash (${kind})`, () => {
    let s: TestServer;
    let seller: string;
    before(async () => {
      s = await testServer(kind, { VAULT_KEY: `k1:${generateVaultKey()}` });
      seller = await s.token('seller-1', 'user');
    });
    after(() => s.close());

    const put = (id: string, body: Record<string, unknown>, key: string) =>
      s.call<{ code?: string; vault?: { fingerprint: string } }>('PUT', `/api/escrow/${id}/vault`, {
        token: seller,
        body,
        headers: { 'idempotency-key': key },
      });

    it('the stored hash is not the SHA-256 of the body; the same key with another secret is another request', async () => {
      const id = (await s.engine.service.create({ id: 'buyer-1', role: 'user' }, escrowInput())).escrow.id;
      const body = { kind: 'CREDENTIALS', secret: PASSWORD };
      const key = `vault-${id}`;
      const first = await put(id, body, key);
      assert.equal(first.status, 200, first.text);

      const commandId = keyedCommandId('seller-1', key);
      const { stored, command } = await hashes(s.engine.db, commandId);
      assert.ok(stored && command, 'the key and the command keep a request hash');
      assert.equal(command, stored);
      const plain = requestHash('PUT', ROUTE, { id }, body);
      assert.notEqual(stored, plain, 'not the unkeyed hash of the body');
      const digest = s.engine.vault.requestDigest(PASSWORD);
      assert.match(digest, /^[0-9a-f]{64}$/);
      assert.notEqual(digest, createHash('sha256').update(PASSWORD).digest('hex'));
      assert.equal(stored, requestHash('PUT', ROUTE, { id }, { ...body, secret: digest }), 'the keyed digest instead');
      // nothing stored about the request hashes the password without the key
      for (const text of [PASSWORD, canonical(body), `PUT ${ROUTE} ${canonical({ id })} ${canonical(body)}`]) {
        assert.notEqual(stored, createHash('sha256').update(text).digest('hex'));
      }

      const other = await put(id, { ...body, secret: 'hunter3' }, key);
      assert.equal(other.status, 422, other.text);
      assert.equal(other.body.code, 'IDEMPOTENCY_KEY_REUSED');
      const again = await put(id, body, key);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.vault?.fingerprint, first.body.vault?.fingerprint);

      // past the response cache (its row gone), the command record still tells the requests apart
      await s.engine.db.query('DELETE FROM idempotency_keys WHERE id = $1', [commandId]);
      const late = await put(id, { ...body, secret: 'hunter3' }, key);
      assert.equal(late.status, 422, late.text);
      const lateSame = await put(id, body, key);
      assert.equal(lateSame.status, 200, lateSame.text);
      assert.equal(lateSame.body.vault?.fingerprint, first.body.vault?.fingerprint);
      const { rows } = await s.engine.db.query('SELECT 1 FROM vault_secrets WHERE escrow_id = $1', [id]);
      assert.equal(rows.length, 1, 'the replays stored no secret of their own');
      await assertDatabaseVerifies(s.engine);
    });
  });

  describe(`POST /api/admin/vault/rotate and a key this process was not given (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    let id: string;
    before(async () => {
      s = await testServer(kind, {
        VAULT_KEY: `k2:${generateVaultKey()}`,
        VAULT_KEYS_PREVIOUS: `k1:${generateVaultKey()}`,
      });
      admin = await s.token('ops-admin', 'admin');
      id = (await s.engine.service.create({ id: 'buyer-1', role: 'user' }, escrowInput())).escrow.id;
      await s.engine.vault.set({ id: 'seller-1', role: 'user' }, id, { kind: 'OTHER', secret: 'licence 42' });
      // as if sealed by a process with another VAULT_KEY, after this one started (its start-up check passed)
      await s.engine.db.query(`UPDATE vault_secrets SET key_id = 'k9' WHERE escrow_id = $1`, [id]);
    });
    after(() => s.close());

    for (const dryRun of [true, false]) {
      it(`is 503 VAULT_UNAVAILABLE naming the key and VAULT_KEYS_PREVIOUS (dryRun ${dryRun}), not a 500`, async () => {
        const res = await s.call<{ code: string; detail: string }>('POST', '/api/admin/vault/rotate', {
          token: admin,
          body: { reason: 'yearly rotation', dryRun },
        });
        assert.equal(res.status, 503, res.text);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.equal(res.body.code, 'VAULT_UNAVAILABLE');
        assert.match(res.body.detail, /vault key "k9" seals 1 stored secret\(s\) but is not configured/);
        assert.match(res.body.detail, /VAULT_KEYS_PREVIOUS/);
        assert.match(res.body.detail, /nothing was resealed/);
        const { rows } = await s.engine.db.query<{ key_id: string }>(
          'SELECT key_id FROM vault_secrets WHERE escrow_id = $1',
          [id],
        );
        assert.deepEqual(
          rows.map((r) => r.key_id),
          ['k9'],
        );
      });
    }

    it('a secret that no longer opens stops the run with a 503 naming its fingerprint', async () => {
      // sealed under k2 but labelled k1: k1 is configured and does not open it (altered, or another key under k1)
      const { rows } = await s.engine.db.query<{ fingerprint: string }>(
        `UPDATE vault_secrets SET key_id = 'k1' WHERE escrow_id = $1 RETURNING fingerprint`,
        [id],
      );
      const res = await s.call<{ code: string; detail: string }>('POST', '/api/admin/vault/rotate', {
        token: admin,
        body: { reason: 'yearly rotation' },
      });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'VAULT_UNAVAILABLE');
      assert.match(res.body.detail, new RegExp(`vault secret ${rows[0]!.fingerprint} of escrow ${id} does not open`));
      assert.match(res.body.detail, /0 secret\(s\) were resealed before it/);
      assert.ok(!res.body.detail.includes('licence 42'));
      await assertDatabaseVerifies(s.engine);
    });
  });
}
