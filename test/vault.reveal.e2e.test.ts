import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateVaultKey } from '../src/adapters/vault/config.js';
import type { VaultSecretStore } from '../src/app/ports/index.js';
import { assertDatabaseVerifies, engineKinds, escrowInput } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The buyer's reveal when it is repeated or fails half-way (docs/vault.md): a replay of the same reveal command (same
// Idempotency-Key) discloses the secret again to the buyer alone and leaves a VaultRevealReplayed audit row; a reveal
// accepted whose secret could not be read is a 503, and a retry (same key, or a new one) delivers the secret.

const SECRET = 'login: seller-account-77 / password: Quokka-Lantern-5512';

interface Revealed {
  secret: string;
  revealCount: number;
  fingerprint: string;
  code?: string;
  detail?: string;
}
interface AuditRow {
  action: string;
  actor_id: string;
  actor_role: string;
  command_id: string | null;
  from_status: string | null;
  details: Record<string, unknown>;
  created_at: Date | string;
}

for (const kind of engineKinds()) {
  describe(`the vault reveal, replayed and retried (${kind})`, () => {
    let s: TestServer;
    const t = { buyer: '', seller: '', other: '' };
    before(async () => {
      s = await testServer(kind, { VAULT_KEY: `k1:${generateVaultKey()}` });
      t.buyer = await s.token('buyer-1', 'user');
      t.seller = await s.token('seller-1', 'user');
      t.other = await s.token('stranger-1', 'user');
    });
    after(() => s.close());

    /** A funded escrow whose vault holds SECRET. */
    async function sealed(): Promise<string> {
      const e = await s.call<{ id: string; payment: { reference: string } }>('POST', '/api/escrow', {
        token: t.buyer,
        body: escrowInput(),
      });
      const set = await s.call('PUT', `/api/escrow/${e.body.id}/vault`, {
        token: t.seller,
        body: { kind: 'CREDENTIALS', secret: SECRET },
      });
      assert.equal(set.status, 200, set.text);
      assert.equal((await s.call('POST', `/api/sandbox/payments/${e.body.payment.reference}/succeed`)).status, 200);
      return e.body.id;
    }
    const reveal = (id: string, key?: string, token = t.buyer) =>
      s.call<Revealed>('POST', `/api/escrow/${id}/vault/reveal`, {
        token,
        body: {},
        headers: key ? { 'idempotency-key': key } : {},
      });
    const audits = async (id: string) =>
      (
        await s.engine.db.query<AuditRow>(
          `SELECT action, actor_id, actor_role, command_id, from_status, details, created_at
             FROM audit_logs WHERE escrow_id = $1 AND action IN ('RevealVault', 'VaultRevealReplayed') ORDER BY id`,
          [id],
        )
      ).rows;
    const revealEvents = async (id: string) =>
      (await s.engine.readModel.events(id)).filter((e) => e.type === 'VaultRevealed').length;

    it('a replay with the same key shows the secret again, audited as VaultRevealReplayed (no secret in it)', async () => {
      const id = await sealed();
      const first = await reveal(id, 'reveal-1');
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.secret, SECRET);
      s.clock.advance(60_000);
      const again = await reveal(id, 'reveal-1');
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.secret, SECRET);
      assert.equal(again.body.revealCount, 1);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.headers.get('cache-control'), 'no-store');
      assert.equal(await revealEvents(id), 1, 'one reveal event');

      const rows = await audits(id);
      assert.deepEqual(
        rows.map((r) => [r.action, r.actor_id, r.actor_role]),
        [
          ['RevealVault', 'buyer-1', 'user'],
          ['VaultRevealReplayed', 'buyer-1', 'user'],
        ],
      );
      const replay = rows[1]!;
      assert.equal(replay.command_id, rows[0]!.command_id, 'names the reveal it replayed');
      assert.equal(replay.from_status, 'FUNDS_HELD');
      assert.equal(new Date(replay.created_at).toISOString(), s.clock.now().toISOString(), 'when');
      assert.equal(replay.details.fingerprint, first.body.fingerprint);
      assert.equal(replay.details.revealCount, 1);
      assert.ok(!JSON.stringify(rows).includes('Quokka'), 'never the secret');
      const admin = await s.token('admin-1', 'admin');
      const shown = await s.call<{ audit: { action: string; actorId: string }[] }>(
        'GET',
        `/api/escrow/${id}?include=audit`,
        { token: admin },
      );
      assert.equal(shown.status, 200, shown.text);
      assert.ok(shown.body.audit.some((a) => a.action === 'VaultRevealReplayed' && a.actorId === 'buyer-1'));

      // someone else's same key is their own command: refused, nothing disclosed, no replay audited
      const stranger = await reveal(id, 'reveal-1', t.other);
      assert.equal(stranger.status, 404, stranger.text);
      assert.ok(!stranger.text.includes('Quokka'));
      assert.equal((await audits(id)).filter((r) => r.action === 'VaultRevealReplayed').length, 1);
      await assertDatabaseVerifies(s.engine);
    });

    it('a reveal whose secret cannot be read after it committed is a 503; a retry delivers it', async () => {
      const id = await sealed();
      const secrets = (s.engine.vault as unknown as { deps: { secrets: VaultSecretStore } }).deps.secrets;
      const get = secrets.get.bind(secrets);
      let failures = 1;
      secrets.get = (escrowId, fingerprint) =>
        failures-- > 0 ? Promise.reject(new Error('connection reset')) : get(escrowId, fingerprint);
      try {
        const failed = await reveal(id, 'reveal-2');
        assert.equal(failed.status, 503, failed.text);
        assert.equal(failed.body.code, 'VAULT_REVEAL_NOT_DELIVERED');
        assert.match(failed.body.detail ?? '', /recorded.*retry the reveal.*same Idempotency-Key/);
        assert.equal(failed.headers.get('retry-after'), '1');
        assert.ok(!failed.text.includes('connection reset'), 'internals stay in the log');
        assert.equal(await revealEvents(id), 1, 'the reveal counted: the vault is locked');
        const locked = await s.call('PUT', `/api/escrow/${id}/vault`, {
          token: t.seller,
          body: { kind: 'OTHER', secret: 'too late' },
        });
        assert.equal(locked.status, 409, locked.text);

        const retried = await reveal(id, 'reveal-2');
        assert.equal(retried.status, 200, retried.text);
        assert.equal(retried.body.secret, SECRET);
        assert.equal(retried.body.revealCount, 1);
        assert.equal(retried.headers.get('idempotent-replayed'), 'true');

        failures = 1;
        assert.equal((await reveal(id, 'reveal-3')).status, 503);
        const fresh = await reveal(id, 'reveal-4');
        assert.equal(fresh.status, 200, fresh.text);
        assert.equal(fresh.body.secret, SECRET);
        assert.equal(fresh.body.revealCount, 3, 'a new key is another reveal, as many as the buyer asks');
        const unkeyed = await reveal(id);
        assert.equal(unkeyed.body.secret, SECRET);
      } finally {
        secrets.get = get;
      }
      assert.deepEqual(
        (await audits(id)).map((r) => r.action),
        ['RevealVault', 'VaultRevealReplayed', 'RevealVault', 'RevealVault', 'RevealVault'],
      );
      await assertDatabaseVerifies(s.engine);
    });
    it('a replay once the money went back to the buyer is refused, and discloses nothing', async () => {
      const id = await sealed();
      assert.equal((await reveal(id, 'reveal-refund')).status, 200);
      const admin = await s.token('admin-1', 'admin');
      const refund = await s.call('POST', `/api/escrow/${id}/refund`, {
        token: admin,
        body: { reason: 'the account was reclaimed by its first owner' },
      });
      assert.equal(refund.status, 200, refund.text);
      const replay = await reveal(id, 'reveal-refund');
      assert.equal(replay.status, 409, replay.text);
      assert.equal(replay.body.code, 'INVALID_STATE_TRANSITION');
      assert.ok(!replay.text.includes('Quokka'), 'no secret in the refusal');
      assert.deepEqual(
        (await audits(id)).map((a) => a.action),
        ['RevealVault'],
      );
      await assertDatabaseVerifies(s.engine);
    });
  });
}
