import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SignedUrlGrant } from '../../app/ports/fileStorage.js';

/**
 * Tokens of the local store's signed URLs (`/api/files/signed/<token>`): base64url(JSON claims) "." base64url(HMAC).
 * The HMAC-SHA256 covers the claims (key, method, content type, size or 0, expiry in ms, file name) with a key derived
 * from the signing key for this one purpose, so a token is never valid as another HMAC of the same key.
 */
interface Claims {
  k: string;
  m: 'GET' | 'PUT';
  t: string;
  n: number;
  e: number;
  f?: string;
}

const PURPOSE = 'escrow file url v1';
/** Longer than any claims a valid key and file name make: refused before parsing. */
const MAX_TOKEN_LENGTH = 4096;

export class UrlSigner {
  readonly #key: Buffer;

  constructor(signingKey: Uint8Array) {
    if (signingKey.length < 16) throw new Error('the file URL signing key must be at least 16 bytes');
    this.#key = createHmac('sha256', signingKey).update(PURPOSE).digest();
  }

  sign(claims: Claims): string {
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.#mac(body).toString('base64url')}`;
  }

  /** The grant of a well-signed, unexpired token for this method; null otherwise. */
  verify(token: string, method: 'GET' | 'PUT', now: Date): SignedUrlGrant | null {
    if (token.length > MAX_TOKEN_LENGTH) return null;
    const [body, mac, ...rest] = token.split('.');
    if (body === undefined || mac === undefined || rest.length > 0) return null;
    const given = Buffer.from(mac, 'base64url');
    const expected = this.#mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = parseClaims(body);
    if (claims === null || claims.m !== method || now.getTime() >= claims.e) return null;
    return {
      key: claims.k,
      contentType: claims.t,
      maxBytes: claims.n,
      ...(claims.f !== undefined ? { fileName: claims.f } : {}),
    };
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest();
  }
}

/** Only reached with a valid MAC, so a malformed body means a bug in sign(), not an attacker; still checked. */
function parseClaims(body: string): Claims | null {
  try {
    const c = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<Claims>;
    const ok =
      typeof c.k === 'string' &&
      (c.m === 'GET' || c.m === 'PUT') &&
      typeof c.t === 'string' &&
      Number.isSafeInteger(c.n) &&
      Number.isSafeInteger(c.e) &&
      (c.f === undefined || typeof c.f === 'string');
    return ok ? (c as Claims) : null;
  } catch {
    return null;
  }
}
