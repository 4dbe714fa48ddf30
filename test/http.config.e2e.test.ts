import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { assertDatabaseVerifies } from './harness.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';

describe('JWT_JWKS_URL: RS256 and ES256 tokens verified with keys from a JWKS endpoint', () => {
  let jwks: Server;
  let s: TestServer;
  type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const keys: { alg: 'RS256' | 'ES256'; privateKey: PrivateKey; kid: string }[] = [];
  before(async () => {
    const published: JWK[] = [];
    for (const alg of ['RS256', 'ES256'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const kid = `key-${alg}`;
      published.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
      keys.push({ alg, privateKey, kid });
    }
    jwks = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    s = await testServer('pglite', { JWT_JWKS_URL: url });
  });
  after(async () => {
    await s.close();
    await new Promise((r) => jwks.close(r));
  });

  const sign = (alg: 'RS256' | 'ES256', claims: Record<string, unknown>, exp = '10m') => {
    const k = keys.find((x) => x.alg === alg)!;
    return new SignJWT(claims)
      .setProtectedHeader({ alg, kid: k.kid })
      .setSubject('jwks-admin')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(k.privateKey);
  };

  for (const alg of ['RS256', 'ES256'] as const) {
    it(`accepts a valid ${alg} token and refuses an expired one`, async () => {
      const ok = await s.call('GET', '/api/escrow', { token: await sign(alg, { role: 'admin' }) });
      assert.equal(ok.status, 200, ok.text);
      const expired = await s.call('GET', '/api/escrow', { token: await sign(alg, { role: 'admin' }, '-1m') });
      assert.equal(expired.status, 401);
      assert.equal((expired.body as { code: string }).code, 'TOKEN_EXPIRED');
    });
  }

  it('refuses an HS256 token, even one signed with a long secret', async () => {
    const hs = await s.token('jwks-admin', 'admin');
    assert.equal((await s.call('GET', '/api/escrow', { token: hs })).status, 401);
  });
});

describe('MAINTENANCE_MODE and CORS_ORIGINS', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { MAINTENANCE_MODE: 'true', CORS_ORIGINS: 'https://app.example.com' });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('answers 503 with Retry-After on mutating routes, still serves reads and accepts webhooks', async () => {
    const admin = await s.token('ops', 'admin');
    const create = await s.call('POST', '/api/escrow', {
      token: await s.token('b', 'user'),
      body: { offerId: 'm-1', buyerId: 'b', sellerId: 's', rail: 'SANDBOX', currency: 'USD', amount: '100' },
    });
    assert.equal(create.status, 503);
    assert.ok(Number(create.headers.get('retry-after')) > 0);
    assert.equal((create.body as { code: string }).code, 'PAUSED');
    assert.equal((await s.call('GET', '/api/escrow', { token: admin })).status, 200);
    // a webhook is still taken in: here a signed event of a type the sandbox does not know → processed, not 503
    const raw = JSON.stringify({ id: 'evt_maint', type: 'customer.created', data: {} });
    const hook = await s.call('POST', '/api/webhooks/sandbox', {
      body: raw,
      headers: { 'x-sandbox-signature': s.engine.sandbox.sign(raw) },
    });
    assert.equal(hook.status, 200, hook.text);
  });

  it('admins keep working in maintenance (the runbook fixes are admin commands); a bad token waits like anyone', async () => {
    const body = { offerId: 'm-2', buyerId: 'b', sellerId: 's', rail: 'SANDBOX', currency: 'USD', amount: '100' };
    const byAdmin = await s.call('POST', '/api/escrow', { token: await s.token('ops', 'admin'), body });
    assert.equal(byAdmin.status, 201, byAdmin.text);
    const forged = await s.call('POST', '/api/escrow', { token: 'a.b.c', body: { ...body, offerId: 'm-3' } });
    assert.equal(forged.status, 503);
  });

  it('allows the configured origin only, and sends security headers', async () => {
    const res = await fetch(`${s.baseUrl}/health/live`, { headers: { origin: 'https://app.example.com' } });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://app.example.com');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const other = await fetch(`${s.baseUrl}/health/live`, { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('JWT lifetimes: a token must expire, within JWT_MAX_LIFETIME_HOURS', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { JWT_MAX_LIFETIME_HOURS: '1' });
  });
  after(() => s.close());

  it('refuses a token without exp (an admin one included), and one that lives longer than the cap', async () => {
    const forever = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('ops')
      .setIssuedAt()
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    const noExp = await s.call('GET', '/api/escrow', { token: forever });
    assert.equal(noExp.status, 401);
    assert.match((noExp.body as { detail: string }).detail, /no expiry/);
    const long = await s.call('GET', '/api/escrow', { token: await s.token('ops', 'admin', { ttl: '2h' }) });
    assert.equal(long.status, 401);
    assert.match((long.body as { detail: string }).detail, /longer than the 1 h JWT_MAX_LIFETIME_HOURS/);
    const ok = await s.call('GET', '/api/escrow', { token: await s.token('ops', 'admin', { ttl: '30m' }) });
    assert.equal(ok.status, 200, ok.text);
  });
});
