import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { ISSUED_AT_SKEW_MS } from '../app/tokens.js';
import { IDENTIFIER_PATTERN } from '../domain/index.js';
import { HttpError } from './problem.js';

/** A token's subject becomes an actor id: the domain's identifier rule. */
const SUBJECT = new RegExp(IDENTIFIER_PATTERN);

export type ApiRole = 'user' | 'service' | 'admin';
export const API_ROLES: readonly ApiRole[] = ['user', 'service', 'admin'];

export interface Principal {
  id: string;
  role: ApiRole;
  kycTier: number;
}

export interface AuthOptions {
  /** HS256 secret (≥ 64 characters): verifies, and signs what we mint. */
  secret?: string;
  /** The HS256 secret before a rotation (JWT_SECRET_PREVIOUS): its tokens verify until `until`, then are refused. */
  previous?: { secret: string; until: Date };
  /** RS256/ES256 keys from a JWKS endpoint. */
  jwksUrl?: string;
  /** The longest lifetime (exp − iat) a token may have; tokens without exp are always refused. */
  maxLifetimeSeconds?: number;
  /** JWT_ISSUER / JWT_AUDIENCE: when set, a token must carry this `iss` / `aud`. */
  issuer?: string;
  audience?: string;
  /** Whether an otherwise valid token was revoked (by its jti, or its subject since before its iat). */
  isRevoked?: (token: TokenClaims) => boolean | Promise<boolean>;
  /** The time tokens are checked at (tests); default the system clock. */
  now?: () => Date;
}

/** What a revocation is checked against: the token's id, subject and issue time (seconds). */
export interface TokenClaims {
  jti?: string;
  sub: string;
  iat?: number;
}

export type Authenticator = (header: string | undefined) => Promise<Principal>;

/** JWT_MAX_LIFETIME_HOURS's default. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;

const unauthorized = (message: string, code = 'UNAUTHORIZED') =>
  new HttpError(401, code, message, { 'www-authenticate': 'Bearer' });

/** The `kid` of tokens signed with `secret`: the first 8 base64url characters of its SHA-256 (never the secret). */
export const keyId = (secret: string): string =>
  createHash('sha256').update(secret, 'utf8').digest('base64url').slice(0, 8);

interface HsKey {
  kid: string;
  key: KeyObject;
  /** The previous secret's retirement: its tokens are refused from then on. */
  until?: Date;
}

/** Verifies `Authorization: Bearer <JWT>` and returns the caller; throws a 401 HttpError otherwise. */
export function createAuthenticator(opts: AuthOptions): Authenticator {
  const maxLifetime = opts.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  // KeyObjects made once: raw bytes would be imported again on every verification.
  const hs: HsKey[] = [
    ...(opts.secret ? [{ kid: keyId(opts.secret), key: createSecretKey(Buffer.from(opts.secret, 'utf8')) }] : []),
    ...(opts.secret && opts.previous
      ? [
          {
            kid: keyId(opts.previous.secret),
            key: createSecretKey(Buffer.from(opts.previous.secret, 'utf8')),
            until: opts.previous.until,
          },
        ]
      : []),
  ];
  const jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : null;
  const now = opts.now ?? (() => new Date());
  return async (header) => {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    if (!m) throw unauthorized('a Bearer token is required');
    const at = now();
    // A token without exp would be valid forever (a leaked admin token included).
    const checks: JWTVerifyOptions = {
      requiredClaims: ['exp'],
      currentDate: at,
      ...(opts.issuer ? { issuer: opts.issuer } : {}),
      ...(opts.audience ? { audience: opts.audience } : {}),
    };
    let payload: JWTPayload;
    try {
      payload = jwks
        ? (await jwtVerify(m[1]!, jwks, { ...checks, algorithms: ['RS256', 'ES256'] })).payload
        : await verifyHs(m[1]!, hs, { ...checks, algorithms: ['HS256'] }, at);
    } catch (err) {
      throw refusal(err);
    }
    const principal = principalOf(payload, maxLifetime, at);
    const token = { sub: principal.id, ...pick(payload) };
    if (opts.isRevoked && (await opts.isRevoked(token))) {
      // why (and by whom) is the operators' (GET /api/admin/tokens/revocations)
      throw unauthorized('the token has been revoked: get a new one', 'TOKEN_REVOKED');
    }
    return principal;
  };
}

/**
 * HS256 with the key the token's `kid` names (ours: `keyId`); without a kid, or one we never issued, the current
 * secret and then the previous one. The previous secret's tokens are refused once it is retired (checked after the
 * signature: only a token really signed with it is told so).
 */
async function verifyHs(token: string, keys: HsKey[], checks: JWTVerifyOptions, at: Date): Promise<JWTPayload> {
  if (keys.length === 0) throw new Error('no HS256 secret');
  const { kid } = decodeProtectedHeader(token);
  const named = keys.find((k) => k.kid === kid);
  let lastErr: unknown;
  for (const k of named ? [named] : keys) {
    try {
      const { payload } = await jwtVerify(token, k.key, checks);
      if (k.until && at >= k.until) {
        throw unauthorized(
          `the token is signed with the previous JWT secret, retired at ${k.until.toISOString()}: get a new token`,
          'TOKEN_KEY_RETIRED',
        );
      }
      return payload;
    } catch (err) {
      // another key may have signed it; anything else (expired, a claim) is this token's answer
      if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) throw err;
      lastErr = err;
    }
  }
  throw lastErr;
}

function refusal(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof joseErrors.JWTExpired) return unauthorized('the token has expired', 'TOKEN_EXPIRED');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'exp') return unauthorized('the token has no expiry (exp): mint tokens with a lifetime');
    if (err.claim === 'iss') return unauthorized('the token is not from the issuer this API accepts (JWT_ISSUER)');
    if (err.claim === 'aud') return unauthorized('the token is not for the audience of this API (JWT_AUDIENCE)');
  }
  return unauthorized('the token is not valid');
}

function principalOf(payload: JWTPayload, maxLifetime: number, at: Date): Principal {
  const now = Math.floor(at.getTime() / 1000);
  // an iat ahead of now would stretch the lifetime check and escape a revocation of its subject
  if (typeof payload.iat === 'number' && payload.iat > now + ISSUED_AT_SKEW_MS / 1000) {
    throw unauthorized("the token is issued in the future (iat): check the issuer's clock");
  }
  const issued = typeof payload.iat === 'number' ? payload.iat : now;
  if (payload.exp! - issued > maxLifetime) {
    throw unauthorized(`the token lives longer than the ${maxLifetime / 3600} h JWT_MAX_LIFETIME_HOURS allows`);
  }
  const sub = payload.sub;
  const role = payload.role;
  const tier = payload.kyc_tier ?? 0;
  if (typeof sub !== 'string' || !SUBJECT.test(sub)) throw unauthorized('the token has no valid sub');
  if (typeof role !== 'string' || !(API_ROLES as readonly string[]).includes(role)) {
    throw unauthorized('the token has no valid role (user, service or admin)');
  }
  if (!Number.isInteger(tier)) throw unauthorized('kyc_tier must be an integer');
  return { id: sub, role: role as ApiRole, kycTier: tier as number };
}

const pick = (p: JWTPayload): Omit<TokenClaims, 'sub'> => ({
  ...(typeof p.jti === 'string' ? { jti: p.jti } : {}),
  ...(typeof p.iat === 'number' ? { iat: p.iat } : {}),
});

/** JWT_ISSUER and JWT_AUDIENCE as minted tokens carry them. */
export interface MintOptions {
  issuer?: string | undefined;
  audience?: string | undefined;
}

/**
 * Mints an HS256 token (the `escrow token` command, the start-up admin token, the CLI's server calls, tests): with a
 * random `jti` (what `escrow tokens revoke --jti` names), the secret's `kid`, and `iss` / `aud` when configured.
 */
export function mintToken(
  secret: string,
  claims: { sub: string; role: ApiRole; kycTier?: number },
  ttl = '24h',
  opts: MintOptions = {},
): Promise<string> {
  const jwt = new SignJWT({ role: claims.role, ...(claims.kycTier !== undefined ? { kyc_tier: claims.kycTier } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyId(secret) })
    .setSubject(claims.sub)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(ttl);
  if (opts.issuer) jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** Embedded mode without JWT_SECRET: a secret generated once and kept in the data directory (mode 0600). */
export function dataDirSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
