import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { createAuthenticator, keyId, mintToken, type AuthOptions } from './auth.js';
import { HttpError } from './problem.js';

// The HS256 verifier (issue 13 item 4): rotation with an overlap (JWT_SECRET_PREVIOUS until
// JWT_SECRET_PREVIOUS_UNTIL), the key picked by kid, JWT_ISSUER / JWT_AUDIENCE, exp required, and the revocation hook.

const NEW = 'new-secret-'.padEnd(64, 'n');
const OLD = 'old-secret-'.padEnd(64, 'o');
const UNTIL = new Date('2026-12-09T12:00:00.000Z');
const BEFORE = new Date(UNTIL.getTime() - 1000);
const AFTER = new Date(UNTIL.getTime() + 1000);

const auth = (at: Date, more: Partial<AuthOptions> = {}) =>
  createAuthenticator({ secret: NEW, previous: { secret: OLD, until: UNTIL }, now: () => at, ...more });

/** A token as another minter signs it: any header, claims and secret; iat/exp around `at`. */
function signed(secret: string, at: Date, o: { kid?: string; exp?: boolean; claims?: Record<string, unknown> } = {}) {
  const iat = Math.floor(at.getTime() / 1000);
  const jwt = new SignJWT({ sub: 'ops-1', role: 'admin', iat, ...(o.claims ?? {}) }).setProtectedHeader({
    alg: 'HS256',
    ...(o.kid !== undefined ? { kid: o.kid } : {}),
  });
  if (o.exp !== false) jwt.setExpirationTime(iat + 3600);
  return jwt.sign(new TextEncoder().encode(secret));
}

async function refused(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof HttpError, String(err));
    assert.equal(err.status, 401);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

describe('HS256 rotation: JWT_SECRET signs, JWT_SECRET_PREVIOUS verifies until JWT_SECRET_PREVIOUS_UNTIL', () => {
  it('a token of the previous secret works before UNTIL, and is refused after it saying so', async () => {
    for (const kid of [keyId(OLD), undefined]) {
      const token = `Bearer ${await signed(OLD, BEFORE, kid ? { kid } : {})}`;
      assert.equal((await auth(BEFORE)(token)).id, 'ops-1', `kid ${kid}`);
      const late = `Bearer ${await signed(OLD, AFTER, kid ? { kid } : {})}`;
      await refused(
        auth(AFTER)(late),
        'TOKEN_KEY_RETIRED',
        /signed with the previous JWT secret, retired at 2026-12-09T12:00:00\.000Z/,
      );
    }
    // the new secret's tokens work on both sides of UNTIL
    for (const at of [BEFORE, AFTER]) assert.equal((await auth(at)(`Bearer ${await signed(NEW, at)}`)).role, 'admin');
  });

  it('a token issued in the future (beyond a minute of clock skew) is refused: it would outlive the lifetime cap', async () => {
    const ahead = new Date(BEFORE.getTime() + 10 * 365 * 86_400_000);
    await refused(auth(BEFORE)(`Bearer ${await signed(NEW, ahead)}`), 'UNAUTHORIZED', /issued in the future \(iat\)/);
    const skewed = new Date(BEFORE.getTime() + 30_000);
    assert.equal((await auth(BEFORE)(`Bearer ${await signed(NEW, skewed)}`)).id, 'ops-1', '30 s ahead: tolerated');
  });

  it('the kid picks the key: a token naming one secret but signed with the other is refused', async () => {
    assert.notEqual(keyId(NEW), keyId(OLD));
    assert.match(keyId(NEW), /^[A-Za-z0-9_-]{8}$/);
    assert.ok(!NEW.includes(keyId(NEW)), 'the kid is a fingerprint, not part of the secret');
    await refused(
      auth(BEFORE)(`Bearer ${await signed(OLD, BEFORE, { kid: keyId(NEW) })}`),
      'UNAUTHORIZED',
      /not valid/,
    );
    await refused(
      auth(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { kid: keyId(OLD) })}`),
      'UNAUTHORIZED',
      /not valid/,
    );
    // a kid we never issued: both secrets are tried (another minter's header)
    assert.equal((await auth(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { kid: 'theirs' })}`)).id, 'ops-1');
    // a secret that is neither
    await refused(auth(BEFORE)(`Bearer ${await signed('x'.repeat(64), BEFORE)}`), 'UNAUTHORIZED', /not valid/);
  });

  it('without JWT_SECRET_PREVIOUS the old secret is not accepted at all', async () => {
    const only = createAuthenticator({ secret: NEW, now: () => BEFORE });
    await refused(only(`Bearer ${await signed(OLD, BEFORE, { kid: keyId(OLD) })}`), 'UNAUTHORIZED', /not valid/);
  });

  it('mintToken signs with the secret given: its kid, a random jti, iss and aud when asked', async () => {
    const [a, b] = [
      await mintToken(NEW, { sub: 'u-1', role: 'user' }, '1h'),
      await mintToken(NEW, { sub: 'u-1', role: 'user' }),
    ];
    assert.equal(decodeProtectedHeader(a).kid, keyId(NEW));
    const [ja, jb] = [decodeJwt(a).jti, decodeJwt(b).jti];
    assert.match(String(ja), /^[0-9a-f-]{36}$/);
    assert.notEqual(ja, jb);
    assert.equal(decodeJwt(a).iss, undefined);
    const c = decodeJwt(await mintToken(NEW, { sub: 'u-1', role: 'user' }, '1h', { issuer: 'esc', audience: 'api' }));
    assert.deepEqual([c.iss, c.aud], ['esc', 'api']);
    assert.equal((await createAuthenticator({ secret: NEW })(`Bearer ${a}`)).id, 'u-1');
  });
});

describe('claims: exp required, JWT_ISSUER and JWT_AUDIENCE', () => {
  const strict = (at: Date) => auth(at, { issuer: 'escrow-services', audience: 'escrow-api' });

  it('a token without exp is refused', async () => {
    await refused(auth(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { exp: false })}`), 'UNAUTHORIZED', /no expiry/);
  });

  it('iss / aud must match when configured; a minted token with them passes', async () => {
    const right = { iss: 'escrow-services', aud: 'escrow-api' };
    assert.equal((await strict(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { claims: right })}`)).id, 'ops-1');
    const minted = await mintToken(NEW, { sub: 'u-2', role: 'user' }, '1h', {
      issuer: 'escrow-services',
      audience: 'escrow-api',
    });
    assert.equal((await strict(new Date())(`Bearer ${minted}`)).id, 'u-2');
    for (const [claims, message] of [
      [{ ...right, iss: 'someone-else' }, /issuer this API accepts \(JWT_ISSUER\)/],
      [{ aud: 'escrow-api' }, /issuer/],
      [{ ...right, aud: 'another-api' }, /audience of this API \(JWT_AUDIENCE\)/],
      [{ iss: 'escrow-services' }, /audience/],
    ] as const) {
      await refused(strict(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { claims })}`), 'UNAUTHORIZED', message);
    }
    // not configured: iss and aud are not looked at
    assert.equal((await auth(BEFORE)(`Bearer ${await signed(NEW, BEFORE, { claims: { iss: 'x' } })}`)).id, 'ops-1');
  });
});

describe('the revocation hook', () => {
  it('is asked with the jti, sub and iat of a valid token; a revoked one is 401 TOKEN_REVOKED', async () => {
    const asked: unknown[] = [];
    const check = auth(BEFORE, {
      isRevoked: (t) => {
        asked.push(t);
        return t.jti === 'gone';
      },
    });
    const iat = Math.floor(BEFORE.getTime() / 1000);
    await refused(
      check(`Bearer ${await signed(NEW, BEFORE, { claims: { jti: 'gone' } })}`),
      'TOKEN_REVOKED',
      /^the token has been revoked/,
    );
    assert.equal((await check(`Bearer ${await signed(NEW, BEFORE, { claims: { jti: 'kept' } })}`)).id, 'ops-1');
    assert.deepEqual(asked, [
      { sub: 'ops-1', jti: 'gone', iat },
      { sub: 'ops-1', jti: 'kept', iat },
    ]);
    // an invalid token is refused before the hook is asked
    await refused(check(`Bearer ${await signed('x'.repeat(64), BEFORE)}`), 'UNAUTHORIZED', /not valid/);
    assert.equal(asked.length, 2);
  });
});
