import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  VAULT_MAX_PLAINTEXT_BYTES,
  VaultKeyUnknownError,
  VaultOpenError,
  type SealedSecret,
  type VaultCipher,
} from '../../app/ports/vaultCipher.js';
import type { VaultSettings } from './config.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64: Node's decoder skips characters it does not know, so a damaged field would decode to fewer bytes. */
function decode(field: unknown, bytes?: number): Buffer | null {
  if (typeof field !== 'string' || !BASE64.test(field)) return null;
  const b = Buffer.from(field, 'base64');
  return bytes === undefined || b.length === bytes ? b : null;
}

function requireAad(aad: string): Buffer {
  if (typeof aad !== 'string' || aad.length === 0) {
    throw new TypeError('vault aad: required, the row the secret belongs to (e.g. escrow:<id>:vault:v<n>)');
  }
  return Buffer.from(aad, 'utf8');
}

function sealWith(keyId: string, key: KeyObject, plaintext: string, aad: string): SealedSecret {
  if (typeof plaintext !== 'string') throw new TypeError('vault plaintext: must be a string');
  const data = Buffer.from(plaintext, 'utf8');
  if (data.length > VAULT_MAX_PLAINTEXT_BYTES) {
    throw new RangeError(
      `vault plaintext: ${data.length} bytes is more than ${VAULT_MAX_PLAINTEXT_BYTES} (UTF-8); store a file, vault its id`,
    );
  }
  // A lone surrogate would be replaced by U+FFFD on the way in and the secret would not come back as given.
  if (data.toString('utf8') !== plaintext) throw new TypeError('vault plaintext: not well-formed Unicode text');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(requireAad(aad));
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  data.fill(0);
  return {
    keyId,
    iv: iv.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

function openWith(key: KeyObject, sealed: SealedSecret, aad: string): string {
  const aadBytes = requireAad(aad);
  const iv = decode(sealed.iv, IV_BYTES);
  const tag = decode(sealed.tag, TAG_BYTES);
  const ciphertext = decode(sealed.ciphertext);
  if (iv === null || tag === null || ciphertext === null) {
    throw new VaultOpenError(
      `vault secret under key ${sealed.keyId} is malformed: iv (12 bytes), tag (16 bytes) and ciphertext must be base64`,
    );
  }
  // authTagLength pins the tag to 16 bytes: without it a truncated tag would be accepted and checked only in part.
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aadBytes);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  try {
    const plain = Buffer.concat([head, decipher.final()]);
    const text = plain.toString('utf8');
    plain.fill(0);
    return text;
  } catch {
    // Unverified output is discarded, never returned or quoted.
    throw new VaultOpenError(
      `vault secret under key ${sealed.keyId} does not open: it was altered, or sealed with another key or for another row`,
    );
  } finally {
    head.fill(0);
  }
}

/** What HKDF derives the digest key for: another purpose than sealing, so the digest says nothing about that key. */
const DIGEST_INFO = 'escrow-services/vault/request-digest/v1';

/**
 * AES-256-GCM over the configured keys: seals under the current key, opens under whichever key sealed. `digest` is an
 * HMAC-SHA256 under a key HKDF derives from the current key: what stands for a secret where an unkeyed hash could be
 * brute-forced back to it (an Idempotency-Key's request hash). It changes with VAULT_KEY.
 */
export function createVaultCipher(settings: VaultSettings): VaultCipher {
  const current = settings.key(settings.currentKeyId);
  if (!current) throw new Error('vault settings: the current key is missing');
  const digestKey = Buffer.from(hkdfSync('sha256', current, Buffer.alloc(0), DIGEST_INFO, 32));
  const ids = [settings.currentKeyId, ...settings.previousKeyIds];
  const keyFor = (keyId: string): KeyObject => {
    const key = typeof keyId === 'string' ? settings.key(keyId) : undefined;
    if (!key) throw new VaultKeyUnknownError(String(keyId));
    return key;
  };
  const open = (sealed: SealedSecret, aad: string): string => openWith(keyFor(sealed.keyId), sealed, aad);
  return {
    currentKeyId: settings.currentKeyId,
    knows: (keyId) => ids.includes(keyId),
    keyIds: () => [...ids],
    seal: (plaintext, aad) => sealWith(settings.currentKeyId, current, plaintext, aad),
    digest: (text) => createHmac('sha256', digestKey).update(text, 'utf8').digest('hex'),
    open,
    reseal(sealed, aad) {
      const plaintext = open(sealed, aad);
      if (sealed.keyId === settings.currentKeyId) return { sealed, changed: false };
      return { sealed: sealWith(settings.currentKeyId, current, plaintext, aad), changed: true };
    },
  };
}
