import { createSecretKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
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
  /** HS256 secret (≥ 64 characters). */
  secret?: string;
  /** RS256/ES256 keys from a JWKS endpoint. */
  jwksUrl?: string;
  /** The longest lifetime (exp − iat) a token may have; tokens without exp are always refused. */
  maxLifetimeSeconds?: number;
}

export type Authenticator = (header: string | undefined) => Promise<Principal>;

/** JWT_MAX_LIFETIME_HOURS's default. */
export const DEFAULT_MAX_LIFETIME_SECONDS = 24 * 3600;

const unauthorized = (message: string, code = 'UNAUTHORIZED') =>
  new HttpError(401, code, message, { 'www-authenticate': 'Bearer' });

/** Verifies `Authorization: Bearer <JWT>` and returns the caller; throws a 401 HttpError otherwise. */
export function createAuthenticator(opts: AuthOptions): Authenticator {
  const maxLifetime = opts.maxLifetimeSeconds ?? DEFAULT_MAX_LIFETIME_SECONDS;
  // A KeyObject made once: raw bytes would be imported again on every verification.
  const hs = opts.secret ? createSecretKey(Buffer.from(opts.secret, 'utf8')) : null;
  const jwks = opts.jwksUrl ? createRemoteJWKSet(new URL(opts.jwksUrl)) : null;
  return async (header) => {
    const m = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header ?? '');
    if (!m) throw unauthorized('a Bearer token is required');
    let payload: JWTPayload;
    try {
      // A token without exp would be valid forever (a leaked admin token included).
      payload = jwks
        ? (await jwtVerify(m[1]!, jwks, { algorithms: ['RS256', 'ES256'], requiredClaims: ['exp'] })).payload
        : (await jwtVerify(m[1]!, hs!, { algorithms: ['HS256'], requiredClaims: ['exp'] })).payload;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('the token has expired', 'TOKEN_EXPIRED');
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp') {
        throw unauthorized('the token has no expiry (exp): mint tokens with a lifetime');
      }
      throw unauthorized('the token is not valid');
    }
    const issued = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
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
  };
}

/** Mints an HS256 token (the `escrow token` command, the start-up admin token, tests). */
export function mintToken(
  secret: string,
  claims: { sub: string; role: ApiRole; kycTier?: number },
  ttl = '24h',
): Promise<string> {
  return new SignJWT({ role: claims.role, ...(claims.kycTier !== undefined ? { kyc_tier: claims.kycTier } : {}) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(secret));
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
