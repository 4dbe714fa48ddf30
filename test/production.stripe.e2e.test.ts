import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { mintToken, type ApiRole } from '../src/http/auth.js';
import { FakeStripe } from './fakes/stripeServer.js';
import { freePort, freshPostgresDatabase, runCli, startRoles, type RoleProcess } from './processHarness.js';
import { suite } from './services.js';

/**
 * Issue 11: production runs on real rails alone. `escrow serve` with NODE_ENV=production, ESCROW_RAILS=STRIPE and
 * real-looking secrets starts without the sandbox; the sandbox's payment simulator does not exist there (public and
 * admin routes both 404); a create makes a real PaymentIntent at the provider (here its fake), and the provider's
 * signed webhook funds the escrow. A test key is refused at start.
 */
suite('production with ESCROW_RAILS=STRIPE', ['postgres'], () => {
  const stripe = new FakeStripe({
    secretKey: `sk_live_${randomBytes(24).toString('hex')}`,
    webhookSecret: `whsec_${randomBytes(24).toString('hex')}`,
  });
  const jwtSecret = randomBytes(48).toString('hex');
  let db: Awaited<ReturnType<typeof freshPostgresDatabase>>;
  let api: RoleProcess;
  let base: string;
  let env: Record<string, string>;

  before(async () => {
    const stripeUrl = await stripe.start();
    db = await freshPostgresDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = {
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      API_URL: base,
      DATABASE_URL: db.url,
      JWT_SECRET: jwtSecret,
      ESCROW_RAILS: 'STRIPE',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_URL: stripeUrl,
      STRIPE_MAX_NETWORK_RETRIES: '0',
    };
    const migrated = await runCli(['migrate'], env);
    assert.equal(migrated.code, 0, migrated.out);
    api = await startRoles('api', 'api', env);
    stripe.webhookUrl = `${base}/api/webhooks/stripe`;
  });
  after(async () => {
    await api?.stop();
    await db?.drop();
    await stripe.stop();
  });

  const call = async (method: string, path: string, role?: string, body?: unknown) => {
    const headers: Record<string, string> = {};
    if (role) {
      headers.authorization = `Bearer ${await mintToken(jwtSecret, { sub: `${role}-1`, role: role as ApiRole }, '10m')}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('starts without the sandbox: its simulator routes do not exist, its webhook provider is not enabled', async () => {
    const health = await call('GET', '/health');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.equal((await call('POST', '/api/sandbox/payments/sbx_0/succeed')).status, 404);
    assert.equal((await call('POST', '/api/admin/sandbox/payments', 'admin', { target: 'x' })).status, 404);
    assert.equal((await call('POST', '/api/webhooks/sandbox', undefined, { id: 'evt_1' })).status, 404);
    assert.equal((await call('POST', '/api/escrow', 'service', { rail: 'SANDBOX' })).status, 400);
  });

  it('a create makes a PaymentIntent at Stripe and its signed webhook funds the escrow', async () => {
    const created = await call('POST', '/api/escrow', 'service', {
      offerId: `offer-${randomBytes(4).toString('hex')}`,
      buyerId: 'buyer-1',
      sellerId: 'seller-1',
      rail: 'STRIPE',
      currency: 'USD',
      amount: '10000',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const payment = created.body.payment as { reference: string; clientSecret: string };
    assert.match(payment.clientSecret, /^pi_.+_secret_/);
    await stripe.pay(payment.reference);
    const escrow = await call('GET', `/api/escrow/${created.body.id as string}`, 'admin');
    assert.equal(escrow.body.status, 'FUNDS_HELD');
    const verify = await runCli(['verify', '--json'], env);
    assert.equal(verify.code, 0, verify.out);
  });

  it('a Stripe test key is refused at start, naming the variable', async () => {
    const out = await runCli(['serve', '--roles', 'api'], { ...env, STRIPE_SECRET_KEY: 'sk_test_abcdefghijklmnop' });
    assert.notEqual(out.code, 0);
    assert.match(out.out, /STRIPE_SECRET_KEY/);
  });
});
