import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import { generateVaultKey } from '../src/adapters/vault/config.js';
import type { RotationReport } from '../src/app/vault.js';
import type { Engine } from '../src/main.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';
import { dataDirCli } from './dataDirCli.js';
import { FakeClock, actors, engineKinds, freshDatabase, fundedEscrow, testEngine } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// `escrow vault rotate` and POST /api/admin/vault/rotate: secrets sealed under a previous key are sealed again under
// VAULT_KEY (one VaultKeyRotated audit row each), still reveal for the buyer afterwards — with the new key alone —
// and a dry run changes nothing.

const SECRET = 'login: seller-account-77\npassword: correct-horse-battery-staple';
const keys = { k1: `k1:${generateVaultKey()}`, k2: `k2:${generateVaultKey()}`, k3: `k3:${generateVaultKey()}` };

/** A funded escrow whose seller sealed SECRET in its vault. */
async function sealedEscrow(engine: Engine): Promise<string> {
  const escrowId = await fundedEscrow(engine);
  await engine.vault.set(actors.seller, escrowId, { kind: 'CREDENTIALS', secret: SECRET });
  return escrowId;
}

const keyOf = async (db: Database, escrowId: string) =>
  (await db.query<{ key_id: string }>('SELECT key_id FROM vault_secrets WHERE escrow_id = $1', [escrowId])).rows.map(
    (r) => r.key_id,
  );

const rotations = async (db: Database) =>
  (
    await db.query<{ escrow_id: string; actor_id: string; details: Record<string, unknown> }>(
      `SELECT escrow_id, actor_id, details FROM audit_logs WHERE action = 'VaultKeyRotated' ORDER BY id`,
    )
  ).rows;

for (const kind of engineKinds()) {
  describe(`POST /api/admin/vault/rotate (${kind})`, () => {
    let s: TestServer;
    let admin: string;
    let escrowId: string;

    before(async () => {
      const testDb = await freshDatabase(kind);
      // sealed under k1 by an engine that knows only k1, then served with k2 current and k1 previous
      const sealer = await testEngine(kind, { VAULT_KEY: keys.k1 }, { db: testDb.db, clock: new FakeClock() });
      try {
        escrowId = await sealedEscrow(sealer.engine);
      } finally {
        await sealer.close();
      }
      s = await testServer(kind, { VAULT_KEY: keys.k2, VAULT_KEYS_PREVIOUS: keys.k1 }, undefined, { testDb });
      admin = await s.token('ops-admin', 'admin');
    });
    after(() => s.close());

    const rotate = (body: unknown, token = admin) =>
      s.call<RotationReport>('POST', '/api/admin/vault/rotate', { token, body });

    it('a dry run counts per key and reseals nothing', async () => {
      const dry = await rotate({ reason: 'quarterly rotation', dryRun: true });
      assert.equal(dry.status, 200, dry.text);
      assert.deepEqual(dry.body, { dryRun: true, currentKeyId: 'k2', byKey: { k1: 1 }, resealed: 0, remaining: 1 });
      assert.deepEqual(await keyOf(s.engine.db, escrowId), ['k1']);
      assert.deepEqual(await rotations(s.engine.db), []);
    });

    it('reseals under VAULT_KEY, audited per secret; the buyer still reveals it', async () => {
      const run = await rotate({ reason: 'quarterly rotation' });
      assert.equal(run.status, 200, run.text);
      assert.deepEqual(run.body, { dryRun: false, currentKeyId: 'k2', byKey: { k1: 1 }, resealed: 1, remaining: 0 });
      assert.deepEqual(await keyOf(s.engine.db, escrowId), ['k2']);
      const audits = await rotations(s.engine.db);
      assert.equal(audits.length, 1);
      assert.equal(audits[0]!.escrow_id, escrowId);
      assert.equal(audits[0]!.actor_id, 'ops-admin');
      assert.deepEqual(
        [audits[0]!.details.reason, audits[0]!.details.fromKeyId, audits[0]!.details.toKeyId],
        ['quarterly rotation', 'k1', 'k2'],
      );
      assert.equal(JSON.stringify(audits[0]!.details).includes('password'), false, 'never the secret');
      const again = await rotate({ reason: 'again' });
      assert.deepEqual(again.body, { dryRun: false, currentKeyId: 'k2', byKey: { k2: 1 }, resealed: 0, remaining: 0 });
      const revealed = await s.engine.vault.reveal(actors.buyer, escrowId);
      assert.equal(revealed.secret, SECRET);
    });

    it('bad bodies are 400, only admins may rotate', async () => {
      for (const body of [{}, { reason: '' }, { reason: 'r', dryRun: 'yes' }, { reason: 'r', batch: 5 }]) {
        const res = await rotate(body);
        assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const user = await s.token('seller-1', 'user');
      assert.equal((await rotate({ reason: 'r' }, user)).status, 403);
      assert.equal((await rotations(s.engine.db)).length, 1, 'nothing more was resealed');
    });
  });

  describe(`POST /api/admin/vault/rotate without VAULT_KEY (${kind})`, () => {
    let s: TestServer;
    before(async () => {
      s = await testServer(kind);
    });
    after(() => s.close());

    it('is 503 VAULT_UNAVAILABLE saying how to turn the vault on', async () => {
      const res = await s.call('POST', '/api/admin/vault/rotate', {
        token: await s.token('ops-admin', 'admin'),
        body: { reason: 'r' },
      });
      assert.equal(res.status, 503, res.text);
      assert.equal(res.body.code, 'VAULT_UNAVAILABLE');
      assert.match(String(res.body.detail), /VAULT_KEY/);
    });
  });
}

describe('escrow vault rotate (CLI, PGlite data directory, then through its server)', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  let escrowId: string;
  const { withEngine, cli } = dataDirCli(() => env);
  const base = () => ({ DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-vault-'));
    env = { ...base(), VAULT_KEY: keys.k1 };
    escrowId = await withEngine(sealedEscrow);
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--dry-run changes nothing; then the secret is resealed under the new key and reveals with it alone', async () => {
    env = { ...base(), VAULT_KEY: keys.k2, VAULT_KEYS_PREVIOUS: keys.k1 };
    const dry = await cli('vault', 'rotate', '--reason', 'key leak drill', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    assert.deepEqual(JSON.parse(dry.out), {
      dryRun: true,
      currentKeyId: 'k2',
      byKey: { k1: 1 },
      resealed: 0,
      remaining: 1,
    });
    const human = await cli('vault', 'rotate', '--reason', 'key leak drill', '--dry-run');
    assert.equal(
      human.out,
      'dry run, nothing resealed: 1 secret(s) would be resealed under k2\nkey k1: 1 secret(s) before the run\n',
    );
    assert.deepEqual(await withEngine(async (e) => [await keyOf(e.db, escrowId), (await rotations(e.db)).length]), [
      ['k1'],
      0,
    ]);

    const run = await cli('vault', 'rotate', '--reason', 'key leak drill');
    assert.equal(run.code, 0, run.err);
    assert.equal(
      run.out,
      'resealed 1 secret(s) under k2; 0 remain under other keys\nkey k1: 1 secret(s) before the run\n',
    );

    env = { ...base(), VAULT_KEY: keys.k2 }; // k1 dropped
    const after = await withEngine(async (e) => ({
      keys: await keyOf(e.db, escrowId),
      audits: await rotations(e.db),
      secret: (await e.vault.reveal(actors.buyer, escrowId)).secret,
    }));
    assert.deepEqual(after.keys, ['k2']);
    assert.equal(after.audits.length, 1);
    assert.match(after.audits[0]!.actor_id, /^cli:/);
    assert.equal(after.audits[0]!.details.reason, 'key leak drill');
    assert.equal(after.secret, SECRET);
  });

  it('through the embedded server holding the directory: audited as the CLI user', async () => {
    env = { ...base(), VAULT_KEY: keys.k3, VAULT_KEYS_PREVIOUS: keys.k2 };
    server = await serve(env);
    const dry = await childCli(['vault', 'rotate', '--reason', 'via server', '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(json<RotationReport>(dry), {
      dryRun: true,
      currentKeyId: 'k3',
      byKey: { k2: 1 },
      resealed: 0,
      remaining: 1,
    });
    const run = await childCli(['vault', 'rotate', '--reason', 'via server', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(json<RotationReport>(run).resealed, 1);
    const bad = await childCli(['vault', 'rotate', '--reason', 'x'.repeat(501)], env);
    assert.equal(bad.code, 2, bad.stderr);
    await stop(server);
    server = undefined;
    env = { ...base(), VAULT_KEY: keys.k3 };
    const after = await withEngine(async (e) => ({
      keys: await keyOf(e.db, escrowId),
      audits: await rotations(e.db),
      secret: (await e.vault.reveal(actors.buyer, escrowId)).secret,
    }));
    assert.deepEqual(after.keys, ['k3']);
    assert.deepEqual(
      after.audits.map((a) => [a.details.fromKeyId, a.details.toKeyId, a.details.reason]),
      [
        ['k1', 'k2', 'key leak drill'],
        ['k2', 'k3', 'via server'],
      ],
    );
    assert.match(after.audits[1]!.actor_id, /^cli:/);
    assert.equal(after.secret, SECRET);
  });
});
