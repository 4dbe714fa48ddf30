import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { z } from 'zod';

/** 32 bytes: AES-256. */
export const VAULT_KEY_BYTES = 32;

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL_KEY = /^[A-Za-z0-9_-]{43}=?$/;

const KEY_FORMAT =
  'must be 32 random bytes as base64 (44 characters) or 64 hex characters, optionally prefixed by a key id and a ' +
  'colon; generate one with `openssl rand -base64 32`';

export const vaultVariables = {
  VAULT_KEY: z.string().max(200).optional(),
  VAULT_KEYS_PREVIOUS: z.string().max(10_000).optional(),
};

/** What toJSON, toString and inspect show of the settings: the key ids, never a key. */
export interface VaultSettingsView {
  currentKeyId: string;
  previousKeyIds: string[];
  keys: '[redacted]';
}

/**
 * The vault's keys by id. The key bytes are held as KeyObjects in a private field: JSON, toString and inspect show
 * only the ids, so logging the configuration cannot leak a key.
 */
export class VaultSettings {
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly currentKeyId: string;
  readonly previousKeyIds: readonly string[];

  constructor(current: { id: string; key: KeyObject }, previous: readonly { id: string; key: KeyObject }[]) {
    this.currentKeyId = current.id;
    this.previousKeyIds = Object.freeze(previous.map((p) => p.id));
    this.#keys = new Map([current, ...previous].map((k) => [k.id, k.key]));
  }

  /** The key that seals (or sealed) under keyId; undefined when it is not configured. */
  key(keyId: string): KeyObject | undefined {
    return this.#keys.get(keyId);
  }

  toJSON(): VaultSettingsView {
    return { currentKeyId: this.currentKeyId, previousKeyIds: [...this.previousKeyIds], keys: '[redacted]' };
  }

  toString(): string {
    return `VaultSettings(current ${this.currentKeyId}; previous ${this.previousKeyIds.join(', ') || 'none'})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** A fresh key in VAULT_KEY's format, like `openssl rand -base64 32` (44 characters of base64). */
export function generateVaultKey(): string {
  return randomBytes(VAULT_KEY_BYTES).toString('base64');
}

/** The id a key gets when its variable names none: stable, and reveals nothing usable about the key. */
export function defaultVaultKeyId(key: Uint8Array): string {
  return `k${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** The key bytes of `text` in one of the accepted encodings, or null. Base64 must be canonical (a typo is caught). */
function keyBytes(text: string): Buffer | null {
  if (HEX_KEY.test(text)) return Buffer.from(text, 'hex');
  const encoding = BASE64_KEY.test(text) ? 'base64' : BASE64URL_KEY.test(text) ? 'base64url' : null;
  if (encoding === null) return null;
  const bytes = Buffer.from(text, encoding);
  const canonical = bytes.toString(encoding).replace(/=+$/, '');
  return bytes.length === VAULT_KEY_BYTES && canonical === text.replace(/=+$/, '') ? bytes : null;
}

type Parsed = { ok: true; id: string; bytes: Buffer } | { ok: false; problem: string };

/** `<keyId>:<key>` or `<key>`. Problems never quote the text: a malformed entry may be a key. */
function parseKey(text: string): Parsed {
  const colon = text.indexOf(':');
  const id = colon < 0 ? null : text.slice(0, colon).trim();
  const bytes = keyBytes((colon < 0 ? text : text.slice(colon + 1)).trim());
  if (bytes === null) return { ok: false, problem: KEY_FORMAT };
  if (id !== null && !KEY_ID.test(id)) {
    return { ok: false, problem: 'the key id before the colon must be 1 to 32 letters, digits, _ or -' };
  }
  if (bytes.every((b) => b === bytes[0])) {
    return { ok: false, problem: 'one byte repeated 32 times is not a random key; use `openssl rand -base64 32`' };
  }
  return { ok: true, id: id ?? defaultVaultKeyId(bytes), bytes };
}

function previousEntries(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}

/** Problems among the keys that did parse: an id used twice, a previous key equal to the current one or another. */
function clashes(current: { id: string; bytes: Buffer }, previous: { n: number; id: string; bytes: Buffer }[]) {
  const problems: string[] = [];
  const seen = new Map<string, string>([[current.id, 'VAULT_KEY']]);
  const seenBytes: { where: string; bytes: Buffer }[] = [{ where: 'VAULT_KEY', bytes: current.bytes }];
  for (const p of previous) {
    const where = `entry ${p.n}`;
    const dupBytes = seenBytes.find((s) => s.bytes.equals(p.bytes));
    if (dupBytes?.where === 'VAULT_KEY') {
      problems.push(`VAULT_KEYS_PREVIOUS: ${where} is the current VAULT_KEY; remove it from the previous keys`);
    } else if (dupBytes) {
      problems.push(`VAULT_KEYS_PREVIOUS: ${where} is the same key as ${dupBytes.where}; list each key once`);
    } else if (seen.has(p.id)) {
      problems.push(
        `VAULT_KEYS_PREVIOUS: ${where} has the key id ${p.id}, already used by ${seen.get(p.id)}; ` +
          'a key id names one key for good, give each key its own',
      );
    }
    seen.set(p.id, seen.get(p.id) ?? where);
    seenBytes.push({ where, bytes: p.bytes });
  }
  return problems;
}

/**
 * The vault section: the current key (VAULT_KEY) and the keys that still open older secrets (VAULT_KEYS_PREVIOUS).
 * VAULT_KEY unset: settings null, no problem (the vault is off). The rules are the same in production and out of it:
 * a weak key in a test configuration is one copy away from production.
 */
export function configureVault(
  raw: Readonly<Record<string, string>>,
  _ctx: { production: boolean },
): { settings: VaultSettings | null; problems: string[] } {
  const currentText = raw.VAULT_KEY?.trim() ?? '';
  const previousTexts = previousEntries(raw.VAULT_KEYS_PREVIOUS);
  if (currentText === '') {
    const problems =
      previousTexts.length > 0
        ? ['VAULT_KEYS_PREVIOUS: set without VAULT_KEY; previous keys only open secrets, VAULT_KEY seals new ones']
        : [];
    return { settings: null, problems };
  }
  const problems: string[] = [];
  const current = parseKey(currentText);
  if (!current.ok) problems.push(`VAULT_KEY: ${current.problem}`);
  const previous: { n: number; id: string; bytes: Buffer }[] = [];
  previousTexts.forEach((text, i) => {
    const p = parseKey(text);
    if (p.ok) previous.push({ n: i + 1, id: p.id, bytes: p.bytes });
    else problems.push(`VAULT_KEYS_PREVIOUS: entry ${i + 1} of the comma-separated list: ${p.problem}`);
  });
  if (!current.ok) return { settings: null, problems };
  problems.push(...clashes(current, previous));
  if (problems.length > 0) return { settings: null, problems };
  const settings = new VaultSettings(
    { id: current.id, key: createSecretKey(current.bytes) },
    previous.map((p) => ({ id: p.id, key: createSecretKey(p.bytes) })),
  );
  current.bytes.fill(0);
  for (const p of previous) p.bytes.fill(0);
  return { settings, problems };
}
