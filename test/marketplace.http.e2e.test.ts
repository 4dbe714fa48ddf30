import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { generateVaultKey } from '../src/adapters/vault/config.js';
import { loadConfig } from '../src/config/index.js';
import { createEngine } from '../src/main.js';
import { ENGINE_KINDS, assertDatabaseVerifies, escrowInput } from './harness.js';
import { TEST_JWT_SECRET, testServer, type HttpResult, type TestServer } from './httpHarness.js';

// Issue 12 over HTTP: a milestone escrow funded, two milestones released, one disputed and split; the credential vault
// (sealed at rest, revealed only to the buyer once funded, audited, locked after the first reveal, readable after a
// key rotation, never in a log line); KYC gating; the blacklist on create and on payment. Each flow ends with verify.

interface Milestone {
  id: string;
  position: number;
  amount: string;
  buyerFee: string;
  sellerFee: string;
  status: string;
  sellerAmount: string;
  buyerAmount: string;
  feeAmount: string;
}
interface Escrow {
  id: string;
  status: string;
  refundType: string | null;
  amount: string;
  buyerFee: string;
  fundedAmount: string;
  releasedAmount: string;
  refundedAmount: string;
  feeAmount: string;
  payment: { reference: string };
  milestones: Milestone[];
  disputes: { id: string; milestoneId: string | null; respondBy: string; slaDueAt: string }[];
  settlements: { kind: string; amount: string; status: string }[];
  vault: { kind: string; fingerprint: string; revealCount: number; firstRevealedAt: string | null } | null;
  events?: { type: string; data: Record<string, unknown>; actor: { id: string } }[];
  audit?: { action: string; actorId: string; details: Record<string, unknown> }[];
}
interface Problem {
  code: string;
  detail: string;
  errors?: { field: string; message: string }[];
}

function ok<T>(res: HttpResult<T>, status = 200): T {
  assert.equal(res.status, status, res.text);
  return res.body;
}
function problem(res: HttpResult<unknown>, status: number, code: string): Problem {
  assert.equal(res.status, status, res.text);
  assert.equal((res.body as Problem).code, code, res.text);
  return res.body as Problem;
}

/** Everything the engine logs during the run, at every level, one JSON line each. */
const logLines: string[] = [];
const captured = pino(
  { level: 'trace' },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  }),
);

const SECRET = 'login: seller-account-77 / password: Zebra-Quartz-4411-unique';
const OLD_KEY = generateVaultKey();

for (const kind of ENGINE_KINDS) {
  void describe(`marketplace goods over HTTP (${kind})`, () => {
    let s: TestServer;
    const t = { buyer: '', seller: '', stranger: '', admin: '', service: '', buyerKyc: '' };
    before(async () => {
      s = await testServer(kind, { VAULT_KEY: `old:${OLD_KEY}`, KYC_THRESHOLD_AMOUNT: 'USD:500000' }, ['api'], {
        logger: captured,
      });
      t.buyer = await s.token('buyer-1', 'user');
      t.seller = await s.token('seller-1', 'user');
      t.stranger = await s.token('stranger-1', 'user');
      t.admin = await s.token('admin-1', 'admin');
      t.service = await s.token('market-svc', 'service');
    });
    after(() => s.close());

    const create = async (token: string, over: Record<string, unknown> = {}) =>
      ok(await s.call<Escrow>('POST', '/api/escrow', { token, body: escrowInput(over) }), 201);
    const pay = async (e: Escrow) =>
      ok(await s.call('POST', `/api/sandbox/payments/${e.payment.reference}/succeed`), 200);
    const post = (id: string, path: string, token: string, body: unknown = {}) =>
      s.call<Escrow>('POST', `/api/escrow/${id}${path}`, { token, body });
    const get = async (id: string, include = '') =>
      ok(await s.call<Escrow>('GET', `/api/escrow/${id}${include ? `?include=${include}` : ''}`, { token: t.admin }));

    void it('a milestone escrow: funded, two milestones released, one disputed and split', async () => {
      const e = await create(t.buyer, {
        amount: '10000',
        milestones: [
          { title: 'Design', amount: '3000', dueAt: '2026-12-31T17:00:00Z' },
          { title: 'Build', amount: '3000' },
          { title: 'Launch', amount: '4000' },
        ],
      });
      assert.deepEqual(
        e.milestones.map((m) => [m.position, m.amount, m.status]),
        [
          [1, '3000', 'PENDING'],
          [2, '3000', 'PENDING'],
          [3, '4000', 'PENDING'],
        ],
      );
      problem(
        await post(e.id, `/milestones/${e.milestones[0]!.id}/deliver`, t.seller, { title: 'x' }),
        409,
        'INVALID_STATE_TRANSITION',
      );
      await pay(e);
      const [m1, m2, m3] = e.milestones.map((m) => m.id);
      ok(await post(e.id, `/milestones/${m1}/deliver`, t.seller, { title: 'Mock-ups' }));
      problem(await post(e.id, `/milestones/${m1}/release`, t.seller), 403, 'FORBIDDEN');
      problem(await post(e.id, `/milestones/${m1}/release`, t.stranger), 404, 'ESCROW_NOT_FOUND');
      const afterFirst = ok(await post(e.id, `/milestones/${m1}/release`, t.buyer, { reason: 'lovely' }));
      assert.equal(afterFirst.status, 'FUNDS_HELD');
      assert.equal(afterFirst.milestones[0]!.status, 'RELEASED');
      assert.deepEqual(
        afterFirst.settlements.map((x) => [x.kind, x.amount]),
        [['PAYOUT', '3000']],
      );
      ok(await post(e.id, `/milestones/${m2}/deliver`, t.seller, { title: 'Built' }));
      ok(await post(e.id, `/milestones/${m2}/release`, t.admin, { reason: 'buyer confirmed by phone' }));
      const disputed = ok(
        await post(e.id, '/dispute', t.buyer, { reason: 'Launch incomplete', milestoneId: m3 }),
        201,
      ) as unknown as Escrow['disputes'][number];
      assert.equal(disputed.milestoneId, m3);
      assert.ok(Date.parse(disputed.respondBy) < Date.parse(disputed.slaDueAt));
      ok(await post(e.id, `/dispute/${disputed.id}/evidence`, t.seller, { statement: 'It was launched on time' }));
      const done = ok(
        await post(e.id, `/dispute/${disputed.id}/resolve`, t.admin, {
          resolution: 'SPLIT',
          buyerAmount: '1000',
          reason: 'three quarters delivered',
        }),
      );
      assert.equal(done.status, 'REFUNDED');
      assert.equal(done.refundType, 'PARTIAL');
      const m3After = done.milestones[2]!;
      assert.deepEqual([m3After.status, m3After.buyerAmount, m3After.sellerAmount], ['REFUNDED', '1000', '3000']);
      const total = (k: 'releasedAmount' | 'refundedAmount' | 'feeAmount') => BigInt(done[k]);
      assert.equal(total('releasedAmount') + total('refundedAmount') + total('feeAmount'), BigInt(done.fundedAmount));
      const full = await get(e.id, 'events');
      assert.deepEqual(
        full.events!.map((x) => x.type).filter((x) => x.startsWith('Milestone')),
        [
          'MilestonesDefined',
          'MilestoneDelivered',
          'MilestoneReleased',
          'MilestoneDelivered',
          'MilestoneReleased',
          'MilestoneRefunded',
        ],
      );
      await assertDatabaseVerifies(s.engine);
    });

    void it('a delivered milestone past its deadline follows the timeout policy through the timeout processor', async () => {
      const e = await create(t.buyer, {
        amount: '9000',
        milestones: [
          { title: 'One', amount: '4000' },
          { title: 'Two', amount: '5000' },
        ],
      });
      await pay(e);
      const [m1, m2] = e.milestones.map((m) => m.id);
      ok(await post(e.id, `/milestones/${m1}/deliver`, t.seller, { title: 'One done' }));
      s.clock.advanceDays(3);
      ok(await post(e.id, `/milestones/${m2}/deliver`, t.seller, { title: 'Two done' }));
      s.clock.advanceDays(4.5); // past One's deadline (7 days), not Two's
      const first = ok(
        await s.call<{ deliveryTimeouts: number }>('POST', '/api/admin/process-timeouts', { token: t.admin, body: {} }),
      );
      assert.equal(first.deliveryTimeouts, 1);
      const mid = await get(e.id);
      assert.deepEqual(
        mid.milestones.map((m) => m.status),
        ['REFUNDED', 'DELIVERED'],
      );
      assert.equal(mid.status, 'FUNDS_HELD');
      s.clock.advanceDays(3);
      ok(await s.call('POST', '/api/admin/process-timeouts', { token: t.admin, body: {} }));
      const done = await get(e.id);
      assert.equal(done.status, 'REFUNDED');
      assert.equal(done.refundType, 'FULL');
      assert.equal(done.refundedAmount, done.fundedAmount);
      await assertDatabaseVerifies(s.engine);
    });

    void it('milestones that do not add up are a 400 naming the sums; nothing is created', async () => {
      const p = problem(
        await s.call('POST', '/api/escrow', {
          token: t.buyer,
          body: escrowInput({
            milestones: [
              { title: 'a', amount: '1000' },
              { title: 'b', amount: '2000' },
            ],
          }),
        }),
        400,
        'VALIDATION_ERROR',
      );
      assert.match(p.detail, /add up to 3000; they must add up to the escrow's amount 10000/);
    });

    void it('the vault: set, refused before funding, revealed to the buyer alone, audited, locked, sealed at rest', async () => {
      const e = await create(t.buyer, { amount: '25000' });
      problem(
        await s.call('PUT', `/api/escrow/${e.id}/vault`, {
          token: t.buyer,
          body: { kind: 'CREDENTIALS', secret: SECRET },
        }),
        403,
        'FORBIDDEN',
      );
      const set = ok(
        await s.call<Escrow>('PUT', `/api/escrow/${e.id}/vault`, {
          token: t.seller,
          body: { kind: 'CREDENTIALS', secret: SECRET },
        }),
      );
      assert.equal(set.vault?.kind, 'CREDENTIALS');
      assert.ok(!JSON.stringify(set).includes(SECRET), 'the escrow never carries the secret');
      problem(await post(e.id, '/vault/reveal', t.buyer), 409, 'INVALID_STATE_TRANSITION');
      await pay(e);
      for (const who of [t.seller, t.admin, t.service])
        problem(await post(e.id, '/vault/reveal', who), 403, 'FORBIDDEN');
      problem(await post(e.id, '/vault/reveal', t.stranger), 404, 'ESCROW_NOT_FOUND');
      const res = await s.call<{ secret: string; revealCount: number }>('POST', `/api/escrow/${e.id}/vault/reveal`, {
        token: t.buyer,
        body: {},
        headers: { 'idempotency-key': `reveal-${e.id}` },
      });
      assert.equal(ok(res).secret, SECRET);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      // the same key again: the same command, one reveal event
      const again = await s.call<{ secret: string; revealCount: number }>('POST', `/api/escrow/${e.id}/vault/reveal`, {
        token: t.buyer,
        body: {},
        headers: { 'idempotency-key': `reveal-${e.id}` },
      });
      assert.equal(ok(again).revealCount, 1);
      const third = await s.call<{ revealCount: number }>('POST', `/api/escrow/${e.id}/vault/reveal`, {
        token: t.buyer,
        body: {},
      });
      assert.equal(ok(third).revealCount, 2);
      const locked = problem(
        await s.call('PUT', `/api/escrow/${e.id}/vault`, {
          token: t.seller,
          body: { kind: 'OTHER', secret: 'changed' },
        }),
        409,
        'VAULT_LOCKED',
      );
      assert.match(locked.detail, /revealed the vault at/);

      const withHistory = await get(e.id, 'events,audit');
      const reveals = withHistory.events!.filter((x) => x.type === 'VaultRevealed');
      assert.deepEqual(
        reveals.map((x) => [x.actor.id, x.data.revealCount]),
        [
          ['buyer-1', 1],
          ['buyer-1', 2],
        ],
      );
      assert.ok(withHistory.audit!.some((a) => a.action === 'RevealVault' && a.actorId === 'buyer-1'));
      const everything = JSON.stringify(withHistory);
      assert.ok(
        !everything.includes(SECRET) && !everything.includes('Zebra-Quartz'),
        'not in events, audit or the escrow',
      );

      // at rest: the row holds AES-GCM ciphertext under the key id, not the secret
      const { rows } = await s.engine.db.query<{ key_id: string; ciphertext: string; iv: string }>(
        'SELECT key_id, ciphertext, iv FROM vault_secrets WHERE escrow_id = $1',
        [e.id],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.key_id, 'old');
      assert.ok(
        !rows[0]!.ciphertext.includes('Zebra') &&
          !Buffer.from(rows[0]!.ciphertext, 'base64').toString('utf8').includes('Zebra'),
      );
      const { rows: outbox } = await s.engine.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM escrow_events WHERE data::text LIKE '%Zebra%'`,
      );
      assert.equal(outbox[0]!.n, 0);
      const { rows: audits } = await s.engine.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_logs WHERE details::text LIKE '%Zebra%'`,
      );
      assert.equal(audits[0]!.n, 0);
      await assertDatabaseVerifies(s.engine);
    });

    void it('key rotation: a new VAULT_KEY with the old one as previous still reveals; rotate re-seals under the new key', async () => {
      const e = await create(t.buyer, { amount: '12000' });
      ok(
        await s.call('PUT', `/api/escrow/${e.id}/vault`, {
          token: t.seller,
          body: { kind: 'LICENSE_KEY', secret: SECRET },
        }),
      );
      await pay(e);
      const newKey = generateVaultKey();
      const config = loadConfig({
        NODE_ENV: 'test',
        JWT_SECRET: TEST_JWT_SECRET,
        VAULT_KEY: `new:${newKey}`,
        VAULT_KEYS_PREVIOUS: `old:${OLD_KEY}`,
      });
      const rotated = await createEngine(config, { db: s.engine.db, clock: s.clock, logger: captured, migrate: false });
      const revealed = await rotated.vault.reveal({ id: 'buyer-1', role: 'user' }, e.id);
      assert.equal(revealed.secret, SECRET);
      const dry = await rotated.vault.rotate(
        { id: 'ops-1', role: 'admin' },
        { reason: 'yearly rotation', dryRun: true },
      );
      assert.equal(dry.resealed, 0);
      assert.ok(dry.remaining >= 1);
      const report = await rotated.vault.rotate({ id: 'ops-1', role: 'admin' }, { reason: 'yearly rotation' });
      assert.ok(report.resealed >= 1);
      const { rows } = await s.engine.db.query<{ key_id: string }>('SELECT DISTINCT key_id FROM vault_secrets');
      assert.deepEqual(
        rows.map((r) => r.key_id),
        ['new'],
      );
      assert.equal((await rotated.vault.reveal({ id: 'buyer-1', role: 'user' }, e.id)).secret, SECRET);
      // the old key alone no longer opens them: `escrow serve` refuses to start, naming the key (never a 500 later)
      for (const [env, message] of [
        [{ VAULT_KEY: `old:${OLD_KEY}` }, /VAULT_KEYS_PREVIOUS: key new seals \d+ vault secrets but is not configured/],
        [{}, /VAULT_KEY: required: \d+ vault secrets are sealed under new/],
        [
          { VAULT_KEY: `new:${generateVaultKey()}` },
          /the key configured as new does not open the secrets sealed under new/,
        ],
      ] as const) {
        const cfg = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, PORT: '0', HOST: '127.0.0.1', ...env });
        const engine = await createEngine(cfg, { db: s.engine.db, clock: s.clock, logger: captured, migrate: false });
        await assert.rejects(engine.start(['api']), message);
      }
      await assertDatabaseVerifies(s.engine);
    });

    void it('KYC gating: above the threshold both parties need tier 1; the refusal names who and what', async () => {
      const big = { amount: '600000' };
      const p = problem(
        await s.call('POST', '/api/escrow', { token: t.buyer, body: escrowInput(big) }),
        403,
        'KYC_REQUIRED',
      );
      assert.match(p.detail, /above 500000 \(5,000\.00 USD\)/);
      assert.match(p.detail, /the buyer buyer-1 is at KYC tier 0/);
      assert.deepEqual(
        p.errors?.map((x) => x.field),
        ['buyerKycTier', 'sellerKycTier'],
      );
      const verified = await s.token('buyer-1', 'user', { kycTier: 2 });
      const p2 = problem(
        await s.call('POST', '/api/escrow', { token: verified, body: escrowInput(big) }),
        403,
        'KYC_REQUIRED',
      );
      assert.deepEqual(
        p2.errors?.map((x) => x.field),
        ['sellerKycTier'],
      );
      problem(
        await s.call('POST', '/api/escrow', { token: t.buyer, body: escrowInput({ ...big, sellerKycTier: 1 }) }),
        403,
        'FORBIDDEN',
      );
      const e = await create(t.service, { ...big, buyerKycTier: 1, sellerKycTier: 1 });
      assert.equal(e.status, 'AWAIT_FUNDS');
      await create(t.buyer, { amount: '500000' });
      await assertDatabaseVerifies(s.engine);
    });

    void it('the blacklist: a listed buyer is refused on create; a party listed later sends the payment back', async () => {
      const added = ok(
        await s.call<{ entry: { id: string } }>('POST', '/api/admin/blacklist', {
          token: t.admin,
          body: { kind: 'USER', value: 'buyer-banned', reason: 'chargeback fraud ring', source: 'SUPPORT-881' },
        }),
        201,
      );
      assert.ok(added.entry.id);
      const banned = await s.token('buyer-banned', 'user');
      const p = problem(
        await s.call('POST', '/api/escrow', { token: banned, body: escrowInput({ buyerId: 'buyer-banned' }) }),
        403,
        'BLACKLISTED',
      );
      assert.match(p.detail, /the buyer buyer-banned may not trade here/);
      assert.ok(!p.detail.includes('fraud ring'), 'a user is not told the reason');
      const byService = problem(
        await s.call('POST', '/api/escrow', { token: t.service, body: escrowInput({ buyerId: 'buyer-banned' }) }),
        403,
        'BLACKLISTED',
      );
      assert.match(byService.detail, /chargeback fraud ring/);

      const e = await create(t.buyer, { sellerId: 'seller-later-banned' });
      ok(
        await s.call('POST', '/api/admin/blacklist', {
          token: t.admin,
          body: { kind: 'USER', value: 'seller-later-banned', reason: 'sanctions match', source: 'OFAC' },
        }),
        201,
      );
      await pay(e);
      const refunded = await get(e.id);
      assert.equal(refunded.status, 'REFUNDED');
      assert.deepEqual(
        refunded.settlements.map((x) => x.kind),
        ['REFUND'],
      );
      await assertDatabaseVerifies(s.engine);
    });

    void it('no log line of the run carries the vault secret', () => {
      assert.ok(logLines.length > 0, 'the run logged something');
      const leaks = logLines.filter((l) => l.includes('Zebra-Quartz') || l.includes(SECRET));
      assert.deepEqual(leaks, []);
    });
  });
}
