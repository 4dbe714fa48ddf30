import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  VAULT_MAX_PLAINTEXT_BYTES,
  VaultKeyUnknownError,
  VaultOpenError,
  type SealedSecret,
  type VaultCipher,
} from '../../app/ports/vaultCipher.js';
import { createVaultCipher } from './aesGcmCipher.js';
import { configureVault, defaultVaultKeyId, generateVaultKey, vaultVariables, type VaultSettings } from './config.js';

const dev = { production: false };
const AAD = 'escrow:esc_1:vault:v1';
const SECRET = 'user: seller@example.com / password: hunter2-correct-horse';

function settingsOf(raw: Record<string, string>): VaultSettings {
  const { settings, problems } = configureVault(raw, dev);
  assert.deepEqual(problems, []);
  assert.ok(settings);
  return settings;
}

const cipherOf = (raw: Record<string, string>): VaultCipher => createVaultCipher(settingsOf(raw));

/** Flips one bit of a base64 field's bytes and re-encodes it (still valid base64, different bytes). */
function flipped(sealed: SealedSecret, field: 'iv' | 'ciphertext' | 'tag', at = 0): SealedSecret {
  const bytes = Buffer.from(sealed[field], 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return { ...sealed, [field]: bytes.toString('base64') };
}

/** Fails unless fn throws an error of type `type` whose message, stack and JSON contain none of `secrets`. */
function throwsWithout(fn: () => unknown, type: new (...args: never[]) => Error, secrets: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    const shown = `${e.message}\n${e.stack ?? ''}\n${JSON.stringify(e)}\n${inspect(e)}`;
    for (const s of secrets) assert.ok(!shown.includes(s), `the error shows ${s}`);
    return true;
  });
}

describe('vault cipher (AES-256-GCM)', () => {
  const key = generateVaultKey();
  const vault = cipherOf({ VAULT_KEY: `k1:${key}` });

  it('round trip: what is sealed opens as given (ASCII, Unicode, empty, the limit)', () => {
    for (const text of [SECRET, 'licence: ÄÖÜ-€-日本-😀', '', 'x'.repeat(VAULT_MAX_PLAINTEXT_BYTES)]) {
      const sealed = vault.seal(text, AAD);
      assert.equal(sealed.keyId, 'k1');
      assert.equal(vault.open(sealed, AAD), text);
    }
  });

  it('the ciphertext neither is nor contains the plaintext, in clear or base64', () => {
    const sealed = vault.seal(SECRET, AAD);
    const stored = JSON.stringify(sealed);
    assert.notEqual(sealed.ciphertext, SECRET);
    for (const s of [SECRET, 'hunter2', Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')]) {
      assert.ok(!stored.includes(s), `stored form contains ${s}`);
    }
    assert.ok(!Buffer.from(sealed.ciphertext, 'base64').includes(Buffer.from('hunter2')));
    assert.equal(Buffer.from(sealed.iv, 'base64').length, 12);
    assert.equal(Buffer.from(sealed.tag, 'base64').length, 16);
    assert.equal(Buffer.from(sealed.ciphertext, 'base64').length, Buffer.byteLength(SECRET));
  });

  it('a fresh IV per seal: the same secret seals differently every time', () => {
    const sealed = Array.from({ length: 200 }, () => vault.seal(SECRET, AAD));
    assert.equal(new Set(sealed.map((s) => s.iv)).size, 200);
    assert.equal(new Set(sealed.map((s) => s.ciphertext)).size, 200);
  });

  it('another aad (another row or version) does not open it', () => {
    const sealed = vault.seal(SECRET, AAD);
    for (const other of ['escrow:esc_1:vault:v2', 'escrow:esc_2:vault:v1', `${AAD} `]) {
      throwsWithout(() => vault.open(sealed, other), VaultOpenError, [SECRET, 'hunter2', key]);
    }
    assert.throws(() => vault.seal(SECRET, ''), TypeError, 'an empty aad binds nothing');
    assert.throws(() => vault.open(sealed, ''), TypeError);
  });

  it('a flipped bit in the ciphertext, tag or iv fails with VaultOpenError and shows no secret', () => {
    const sealed = vault.seal(SECRET, AAD);
    const n = Buffer.byteLength(SECRET);
    for (const [field, at] of [
      ['ciphertext', 0],
      ['ciphertext', n - 1],
      ['tag', 0],
      ['tag', 15],
      ['iv', 0],
      ['iv', 11],
    ] as const) {
      throwsWithout(() => vault.open(flipped(sealed, field, at), AAD), VaultOpenError, [SECRET, 'hunter2', key]);
    }
    assert.equal(vault.open(sealed, AAD), SECRET, 'the original still opens');
  });

  it('a damaged field (bad base64, truncated tag or iv, dropped or added bytes) fails with VaultOpenError', () => {
    const sealed = vault.seal(SECRET, AAD);
    const cases: SealedSecret[] = [
      { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 12).toString('base64') },
      { ...sealed, tag: Buffer.from(sealed.tag, 'base64').subarray(0, 4).toString('base64') },
      { ...sealed, iv: Buffer.from(sealed.iv, 'base64').subarray(0, 11).toString('base64') },
      { ...sealed, iv: `${sealed.iv.slice(0, -1)}!` },
      { ...sealed, ciphertext: `${sealed.ciphertext.slice(0, 4)}*${sealed.ciphertext.slice(5)}` },
      { ...sealed, ciphertext: Buffer.from(sealed.ciphertext, 'base64').subarray(1).toString('base64') },
      {
        ...sealed,
        ciphertext: Buffer.concat([Buffer.from(sealed.ciphertext, 'base64'), Buffer.of(0)]).toString('base64'),
      },
      { ...sealed, ciphertext: '' },
      // Node's base64 decoder skips characters it does not know: these would decode to the original bytes
      { ...sealed, ciphertext: `${sealed.ciphertext.slice(0, 4)}!${sealed.ciphertext.slice(4)}` },
      { ...sealed, tag: ` ${sealed.tag}` },
      { ...sealed, iv: `${sealed.iv}\n` },
    ];
    for (const c of cases) throwsWithout(() => vault.open(c, AAD), VaultOpenError, [SECRET, key]);
  });

  it('the wrong key under the same id fails with VaultOpenError', () => {
    const other = cipherOf({ VAULT_KEY: `k1:${generateVaultKey()}` });
    throwsWithout(() => other.open(vault.seal(SECRET, AAD), AAD), VaultOpenError, [SECRET, key]);
  });

  it('limit: 16384 UTF-8 bytes seal, one more is a RangeError (multi-byte characters count as bytes)', () => {
    assert.equal(VAULT_MAX_PLAINTEXT_BYTES, 16384);
    assert.throws(() => vault.seal('x'.repeat(VAULT_MAX_PLAINTEXT_BYTES + 1), AAD), RangeError);
    const euros = '€'.repeat(Math.floor(VAULT_MAX_PLAINTEXT_BYTES / 3));
    assert.equal(vault.open(vault.seal(euros, AAD), AAD), euros);
    assert.throws(() => vault.seal(`${euros}€`, AAD), RangeError);
    assert.throws(() => vault.seal('\ud800 lone surrogate', AAD), TypeError, 'it would not come back as given');
  });

  it('property: any text opens under its own aad and under no other', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 64 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (text, aad, otherAad) => {
          const sealed = vault.seal(text, aad);
          assert.equal(vault.open(sealed, aad), text);
          if (otherAad !== aad) assert.throws(() => vault.open(sealed, otherAad), VaultOpenError);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('vault key rotation', () => {
  const oldKey = generateVaultKey();
  const newKey = generateVaultKey();

  it('a secret sealed under a previous key opens after VAULT_KEY changes; reseal moves it to the current key', () => {
    const before = cipherOf({ VAULT_KEY: `old:${oldKey}` });
    const sealed = before.seal(SECRET, AAD);
    const after = cipherOf({ VAULT_KEY: `new:${newKey}`, VAULT_KEYS_PREVIOUS: `old:${oldKey}` });
    assert.equal(after.currentKeyId, 'new');
    assert.deepEqual(after.keyIds(), ['new', 'old']);
    assert.equal(after.knows('old'), true);
    assert.equal(after.knows('older'), false);
    assert.equal(after.open(sealed, AAD), SECRET);

    const moved = after.reseal(sealed, AAD);
    assert.equal(moved.changed, true);
    assert.equal(moved.sealed.keyId, 'new');
    assert.notEqual(moved.sealed.ciphertext, sealed.ciphertext);
    assert.equal(after.open(moved.sealed, AAD), SECRET);
    assert.throws(() => after.open(moved.sealed, 'escrow:esc_1:vault:v2'), VaultOpenError, 'reseal keeps the aad');

    const again = after.reseal(moved.sealed, AAD);
    assert.equal(again.changed, false);
    assert.equal(again.sealed, moved.sealed);
    const onlyNew = cipherOf({ VAULT_KEY: `new:${newKey}` });
    assert.equal(onlyNew.open(moved.sealed, AAD), SECRET, 'the old key can go once every secret is resealed');
  });

  it('reseal checks what it moves: a tampered or misbound secret is not resealed', () => {
    const before = cipherOf({ VAULT_KEY: `old:${oldKey}` });
    const after = cipherOf({ VAULT_KEY: `new:${newKey}`, VAULT_KEYS_PREVIOUS: `old:${oldKey}` });
    const sealed = before.seal(SECRET, AAD);
    assert.throws(() => after.reseal(flipped(sealed, 'tag'), AAD), VaultOpenError);
    assert.throws(() => after.reseal(sealed, 'escrow:esc_9:vault:v1'), VaultOpenError);
    const current = after.seal(SECRET, AAD);
    assert.throws(() => after.reseal(flipped(current, 'ciphertext'), AAD), VaultOpenError, 'current ones too');
  });

  it('a key id this process does not know is VaultKeyUnknownError naming the id and VAULT_KEYS_PREVIOUS', () => {
    const sealed = cipherOf({ VAULT_KEY: `old:${oldKey}` }).seal(SECRET, AAD);
    const after = cipherOf({ VAULT_KEY: `new:${newKey}` });
    for (const act of [() => after.open(sealed, AAD), () => after.reseal(sealed, AAD)]) {
      assert.throws(act, (e: unknown) => {
        assert.ok(e instanceof VaultKeyUnknownError);
        assert.equal(e.keyId, 'old');
        assert.match(e.message, /"old"/);
        assert.match(e.message, /VAULT_KEYS_PREVIOUS/);
        assert.ok(!e.message.includes(oldKey) && !e.message.includes(newKey) && !e.message.includes(SECRET));
        return true;
      });
    }
  });
});

describe('vault configuration', () => {
  const key = generateVaultKey();
  const bytes = Buffer.from(key, 'base64');
  const problemsOf = (raw: Record<string, string>) => configureVault(raw, dev).problems;

  it('VAULT_KEY unset (or blank): no vault, no problem', () => {
    assert.deepEqual(configureVault({}, dev), { settings: null, problems: [] });
    assert.deepEqual(configureVault({ VAULT_KEY: '  ' }, { production: true }), { settings: null, problems: [] });
  });

  it('generateVaultKey: 44 characters of base64 for 32 random bytes', () => {
    assert.match(key, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(bytes.length, 32);
    assert.notEqual(generateVaultKey(), key);
  });

  it('base64, base64url (padded or not) and hex of the same key are the same key with the same default id', () => {
    const forms = [
      key,
      bytes.toString('base64url'),
      `${bytes.toString('base64url')}=`,
      bytes.toString('hex'),
      bytes.toString('hex').toUpperCase(),
    ];
    const id = `k${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`;
    assert.equal(defaultVaultKeyId(bytes), id);
    const sealed = cipherOf({ VAULT_KEY: key }).seal(SECRET, AAD);
    for (const form of forms) {
      const vault = cipherOf({ VAULT_KEY: form });
      assert.equal(vault.currentKeyId, id, form);
      assert.equal(vault.open(sealed, AAD), SECRET);
    }
    assert.equal(settingsOf({ VAULT_KEY: key }).currentKeyId, id, 'stable from one start to the next');
    assert.equal(settingsOf({ VAULT_KEY: `  rotation-2026_12:${key} ` }).currentKeyId, 'rotation-2026_12');
  });

  it('malformed keys are named with what to do, and never quoted', () => {
    const bad = [
      bytes.subarray(0, 31).toString('base64'),
      Buffer.concat([bytes, Buffer.of(1)]).toString('base64'),
      bytes.toString('hex').slice(1),
      `${bytes.toString('hex')}00`,
      `${key.slice(0, 42)}B=`, // not canonical: the last character carries bits a 32-byte key does not have
      `${key.slice(0, 10)}+_${key.slice(12)}`, // base64 and base64url mixed
      'correct horse battery staple, very secret',
    ];
    for (const text of bad) {
      const problems = problemsOf({ VAULT_KEY: text });
      assert.deepEqual(problems, [
        'VAULT_KEY: must be 32 random bytes as base64 (44 characters) or 64 hex characters, optionally prefixed by ' +
          'a key id and a colon; generate one with `openssl rand -base64 32`',
      ]);
      assert.equal(configureVault({ VAULT_KEY: text }, dev).settings, null);
    }
    const weak = problemsOf({ VAULT_KEY: Buffer.alloc(32).toString('base64') });
    assert.match(weak.join(), /^VAULT_KEY: one byte repeated 32 times is not a random key/);
  });

  it('a malformed key id is a problem that does not quote it (a swapped id and key would quote the key)', () => {
    for (const raw of [`${key}:k1`, `bad id:${key}`, `${'a'.repeat(33)}:${key}`, `:${key}`]) {
      const problems = problemsOf({ VAULT_KEY: raw });
      assert.equal(problems.length, 1, raw);
      assert.match(problems[0] ?? '', /^VAULT_KEY: /);
      assert.ok(!problems[0]?.includes(key) && !problems[0]?.includes('bad id'), problems[0]);
    }
  });

  it('VAULT_KEYS_PREVIOUS: set without VAULT_KEY, a malformed entry, the current key again, a duplicate id or key', () => {
    const old = generateVaultKey();
    const older = generateVaultKey();
    const expect = (raw: Record<string, string>, pattern: RegExp) => {
      const problems = problemsOf(raw);
      assert.equal(problems.length, 1, problems.join('; '));
      assert.match(problems[0] ?? '', pattern);
      assert.equal(configureVault(raw, dev).settings, null);
      for (const text of [key, old, older, bytes.toString('hex')]) assert.ok(!problems[0]?.includes(text));
    };
    expect({ VAULT_KEYS_PREVIOUS: `old:${old}` }, /^VAULT_KEYS_PREVIOUS: set without VAULT_KEY/);
    expect({ VAULT_KEY: key, VAULT_KEYS_PREVIOUS: `${old},not-a-key` }, /^VAULT_KEYS_PREVIOUS: entry 2 .*: must be 32/);
    expect({ VAULT_KEY: `k1:${key}`, VAULT_KEYS_PREVIOUS: `k0:${bytes.toString('hex')}` }, /entry 1 is the current/);
    expect({ VAULT_KEY: `k1:${key}`, VAULT_KEYS_PREVIOUS: `k1:${old}` }, /key id k1, already used by VAULT_KEY/);
    expect(
      { VAULT_KEY: key, VAULT_KEYS_PREVIOUS: `a:${old},a:${older}` },
      /entry 2 has the key id a, already used by entry 1/,
    );
    expect({ VAULT_KEY: key, VAULT_KEYS_PREVIOUS: `a:${old},b:${old}` }, /entry 2 is the same key as entry 1/);
    const ok = settingsOf({ VAULT_KEY: `new:${key}`, VAULT_KEYS_PREVIOUS: ` old:${old} , ,${older},` });
    assert.deepEqual(ok.previousKeyIds, ['old', defaultVaultKeyId(Buffer.from(older, 'base64'))]);
  });

  it('settings show key ids only: JSON, toString, inspect and joins never hold a key', () => {
    const old = generateVaultKey();
    const settings = settingsOf({ VAULT_KEY: `new:${key}`, VAULT_KEYS_PREVIOUS: `old:${old}` });
    assert.deepEqual(JSON.parse(JSON.stringify({ vault: settings })), {
      vault: { currentKeyId: 'new', previousKeyIds: ['old'], keys: '[redacted]' },
    });
    const shown = [
      JSON.stringify(settings),
      String(settings),
      [settings].join(),
      inspect(settings, { showHidden: true }),
    ];
    const oldBytes = Buffer.from(old, 'base64');
    for (const s of shown) {
      assert.match(s, /new/);
      for (const secret of [key, old, bytes.toString('hex'), oldBytes.toString('hex'), bytes.toString('base64url')]) {
        assert.ok(!s.includes(secret), s);
      }
    }
    assert.equal(inspect(settings.key('new')).includes(bytes.toString('hex')), false, 'a KeyObject, not a Buffer');
    assert.equal(settings.key('missing'), undefined);
  });

  it('variables: optional strings of bounded length', () => {
    assert.equal(vaultVariables.VAULT_KEY.safeParse(undefined).success, true);
    assert.equal(vaultVariables.VAULT_KEY.safeParse(key).success, true);
    assert.equal(vaultVariables.VAULT_KEY.safeParse('x'.repeat(201)).success, false);
    assert.equal(vaultVariables.VAULT_KEYS_PREVIOUS.safeParse(`${key},${key}`).success, true);
    const issue = vaultVariables.VAULT_KEY.safeParse(`${key}${'x'.repeat(200)}`).error?.issues[0]?.message ?? '';
    assert.ok(issue.length > 0 && !issue.includes(key), 'the schema message does not echo the value');
  });
});
