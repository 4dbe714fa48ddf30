/**
 * The credential vault's cipher: a seller's secret deliverable (account credentials, a licence key, a file id) is
 * sealed before it is stored and opened only for the buyer it is released to. Each sealed secret names the key that
 * sealed it, so keys rotate: the current key seals, the previous ones still open, and reseal moves a secret onto the
 * current key (`escrow vault rotate`). The associated data binds a ciphertext to its row (e.g.
 * `escrow:<id>:vault:v<n>`): a ciphertext copied to another row, or another version, does not open there.
 */

/** A sealed secret as stored: iv (12 bytes), ciphertext and tag (16 bytes) are base64; keyId names the sealing key. */
export interface SealedSecret {
  keyId: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

/** The most a secret may hold, in UTF-8 bytes: credentials and keys, not files (a file is stored, its id vaulted). */
export const VAULT_MAX_PLAINTEXT_BYTES = 16384;

export interface VaultCipher {
  /** The key id new secrets are sealed under. */
  readonly currentKeyId: string;
  /** Whether a secret sealed under keyId can be opened (the current key or a previous one). */
  knows(keyId: string): boolean;
  /** Every key id the vault can open, the current one first. */
  keyIds(): string[];
  /** Seals under the current key with a fresh random IV; RangeError above VAULT_MAX_PLAINTEXT_BYTES. */
  seal(plaintext: string, aad: string): SealedSecret;
  /** VaultKeyUnknownError when its key is not configured; VaultOpenError when tampered, or the key or aad is wrong. */
  open(sealed: SealedSecret, aad: string): string;
  /** Opens (so a tampered secret is found) and seals under the current key; changed=false when it already was. */
  reseal(sealed: SealedSecret, aad: string): { sealed: SealedSecret; changed: boolean };
  /**
   * HMAC-SHA256 (hex) of text under a key HKDF derives from the current key (never an unkeyed hash of a secret: what
   * an Idempotency-Key's request hash covers); another VAULT_KEY, another digest.
   */
  digest(text: string): string;
}

/** A secret sealed under a key this process was not given: the key was dropped from rotation too early. */
export class VaultKeyUnknownError extends Error {
  override readonly name = 'VaultKeyUnknownError';
  constructor(readonly keyId: string) {
    super(
      `vault key ${JSON.stringify(keyId.slice(0, 64))} is not configured: add it to VAULT_KEYS_PREVIOUS ` +
        '(keep every key that still seals a stored secret until `escrow vault rotate` has moved them all)',
    );
  }
}

/** A sealed secret that does not open: tampered, or the wrong key or aad. Never carries plaintext or key material. */
export class VaultOpenError extends Error {
  override readonly name = 'VaultOpenError';
}
