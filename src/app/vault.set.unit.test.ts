import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createVaultCipher } from '../adapters/vault/aesGcmCipher.js';
import { configureVault, generateVaultKey } from '../adapters/vault/config.js';
import { DomainError, type Actor, type Escrow } from '../domain/index.js';
import {
  ORPHAN_SECRET_MAX_AGE_MS,
  VaultSecretMissingError,
  type HandledCommand,
  type StoredSecret,
  type VaultSecretStore,
} from './ports/index.js';
import { VaultService } from './vault.js';

// VaultService.set around the command: the secret is stored before the SetVault that cites it, stored again and the
// same command retried once when it went missing (never recorded), and discarded when nothing will cite it. The
// request digest and the rotation's refusals of keys it does not have.

const seller: Actor = { id: 'seller-1', role: 'user' };
const ESCROW = '0190f0c8-0000-7000-8000-00000000000a';
const NOW = new Date('2026-03-01T12:00:00.000Z');

const cipherFor = (key: string) => {
  const { settings } = configureVault({ VAULT_KEY: key }, { production: false });
  assert.ok(settings);
  return createVaultCipher(settings);
};

/** A store that records what it is asked; `usage` is what keyUsage answers. */
function fakeStore(usage: { keyId: string; secrets: number }[] = []) {
  const calls: { op: string; fingerprint?: string; at?: string }[] = [];
  const store: VaultSecretStore = {
    put: (s: StoredSecret, at: string) =>
      Promise.resolve(void calls.push({ op: 'put', fingerprint: s.fingerprint, at })),
    get: () => Promise.resolve(null),
    discard: (_e, fingerprint) => Promise.resolve(void calls.push({ op: 'discard', fingerprint })),
    sweepOrphans: (before) => Promise.resolve(calls.push({ op: 'sweep', at: before }) && 0),
    recordReplayedReveal: () => Promise.resolve(),
    keyUsage: () =>
      Promise.resolve(
        usage.map((u) => ({ ...u, sample: { fingerprint: 'f', escrowId: ESCROW, sealed: {} as never } })),
      ),
    sealedUnder: () => Promise.resolve([]),
    reseal: () => Promise.resolve(false),
  };
  return { store, calls };
}

/** A service whose command path answers with `outcomes` in turn (an error is thrown). */
function service(outcomes: (Error | 'ok' | 'duplicate')[], usage?: { keyId: string; secrets: number }[]) {
  const { store, calls } = fakeStore(usage);
  const commands: { commandId: string | undefined; fingerprint: string }[] = [];
  const escrow = { id: ESCROW, sellerId: 'seller-1', buyerId: 'buyer-1', vault: null } as unknown as Escrow;
  const vault = new VaultService({
    cipher: cipherFor(`k1:${generateVaultKey()}`),
    secrets: store,
    clock: { now: () => NOW },
    queries: {
      get: () => Promise.resolve({ escrow } as never),
      asOfCommand: (h: HandledCommand) => Promise.resolve(h.escrow),
    },
    commands: {
      execute: (_type, _id, _actor, payload, opts) => {
        commands.push({
          commandId: opts?.commandId,
          fingerprint: (payload as unknown as { fingerprint: string }).fingerprint,
        });
        const next = outcomes.shift();
        if (next instanceof Error) return Promise.reject(next);
        return Promise.resolve({ duplicate: next === 'duplicate', escrow, result: {} } as never);
      },
    },
  });
  return { vault, calls, commands };
}

const set = (v: VaultService, opts = {}) => v.set(seller, ESCROW, { kind: 'OTHER', secret: 'hunter2' }, opts);

describe('VaultService.set', () => {
  it('a secret gone missing is stored again and the same command retried once', async () => {
    const { vault, calls, commands } = service([new VaultSecretMissingError('gone'), 'ok']);
    await set(vault);
    assert.deepEqual(
      calls.map((c) => c.op),
      ['put', 'put'],
    );
    assert.equal(calls[0]!.fingerprint, calls[1]!.fingerprint, 'the same sealed secret');
    assert.equal(calls[0]!.at, NOW.toISOString());
    assert.equal(commands.length, 2);
    assert.ok(commands[0]!.commandId, 'a command id chosen once');
    assert.equal(commands[1]!.commandId, commands[0]!.commandId, 'the same command');
    assert.equal(commands[1]!.fingerprint, calls[0]!.fingerprint);
  });

  it('a keyed set retries under its own command id', async () => {
    const { vault, commands } = service([new VaultSecretMissingError('gone'), 'ok']);
    await set(vault, { commandId: '0190f0c8-0000-7000-8000-0000000000cc' });
    assert.deepEqual(
      commands.map((c) => c.commandId),
      ['0190f0c8-0000-7000-8000-0000000000cc', '0190f0c8-0000-7000-8000-0000000000cc'],
    );
  });

  it('missing twice: VaultSecretMissingError, no DomainError (nothing recorded); the secret is discarded', async () => {
    const { vault, calls } = service([new VaultSecretMissingError('gone'), new VaultSecretMissingError('again')]);
    await assert.rejects(set(vault), (err: unknown) => {
      assert.ok(err instanceof VaultSecretMissingError && !(err instanceof DomainError));
      assert.match(err.message, /nothing was changed/);
      return true;
    });
    assert.deepEqual(
      calls.map((c) => c.op),
      ['put', 'put', 'discard'],
    );
  });

  it('a refused set discards its secret; a repeat of an applied one too; an outage keeps it for the sweep', async () => {
    const refused = service([new DomainError('INVALID_STATE_TRANSITION', 'no')]);
    await assert.rejects(set(refused.vault), DomainError);
    assert.deepEqual(
      refused.calls.map((c) => c.op),
      ['put', 'discard'],
    );
    const repeat = service(['duplicate']);
    await set(repeat.vault);
    assert.deepEqual(
      repeat.calls.map((c) => c.op),
      ['put', 'discard'],
    );
    const outage = service([new Error('connection reset')]);
    await assert.rejects(set(outage.vault), /connection reset/);
    assert.deepEqual(
      outage.calls.map((c) => c.op),
      ['put'],
      'it may have committed',
    );
    const applied = service(['ok']);
    await set(applied.vault);
    assert.deepEqual(
      applied.calls.map((c) => c.op),
      ['put'],
    );
  });
});

describe('VaultService.requestDigest', () => {
  it('an HMAC under a key derived from VAULT_KEY: stable, another key another digest, not the plain hash', () => {
    const key = `k1:${generateVaultKey()}`;
    const one = new VaultService({ cipher: cipherFor(key) } as never);
    const same = new VaultService({ cipher: cipherFor(key) } as never);
    const other = new VaultService({ cipher: cipherFor(`k1:${generateVaultKey()}`) } as never);
    const digest = one.requestDigest('hunter2');
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.equal(same.requestDigest('hunter2'), digest);
    assert.notEqual(one.requestDigest('hunter3'), digest);
    assert.notEqual(other.requestDigest('hunter2'), digest);
    assert.notEqual(digest, createHash('sha256').update('hunter2').digest('hex'));
    const off = new VaultService({ cipher: null } as never);
    assert.throws(
      () => off.requestDigest('hunter2'),
      (e: unknown) => {
        assert.ok(e instanceof DomainError && e.code === 'VAULT_UNAVAILABLE');
        return true;
      },
    );
  });
});

describe('VaultService.rotate', () => {
  const admin: Actor = { id: 'ops-1', role: 'admin' };

  it('a key this process was not given is VAULT_UNAVAILABLE naming it and VAULT_KEYS_PREVIOUS', async () => {
    const { vault } = service([], [{ keyId: 'k0', secrets: 3 }]);
    for (const dryRun of [true, false]) {
      await assert.rejects(vault.rotate(admin, { reason: 'r', dryRun }), (err: unknown) => {
        assert.ok(err instanceof DomainError);
        assert.equal(err.code, 'VAULT_UNAVAILABLE');
        assert.match(err.message, /vault key "k0" seals 3 stored secret\(s\) but is not configured/);
        assert.match(err.message, /VAULT_KEYS_PREVIOUS/);
        return true;
      });
    }
  });

  it('sweeps orphans older than an hour first, and not on a dry run', async () => {
    const { vault, calls } = service([]);
    await vault.rotate(admin, { reason: 'r', dryRun: true });
    assert.deepEqual(calls, []);
    await vault.rotate(admin, { reason: 'r' });
    assert.deepEqual(calls, [{ op: 'sweep', at: new Date(NOW.getTime() - ORPHAN_SECRET_MAX_AGE_MS).toISOString() }]);
  });
});
