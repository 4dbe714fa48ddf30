import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engineKinds, assertDatabaseVerifies, assertEscrowInvariants, escrowInput } from './harness.js';
import { mintToken } from '../src/http/auth.js';
import { TEST_JWT_SECRET, testServer, type HttpResult, type TestServer } from './httpHarness.js';

/**
 * The authorization matrix of SPEC §3.1/§5, generated from ONE table: every route × every kind of caller → the
 * expected status. Each case gets a fresh escrow in the state its route needs, so the caller's rights alone decide.
 * A user who is not a party gets 404 on an escrow (no existence leak); a missing, expired or foreign token is 401;
 * a caller without the right is 403. Every error is application/problem+json with a `code`.
 */

const CALLERS = ['buyer', 'seller', 'stranger', 'service', 'admin', 'noToken', 'expired', 'foreignSecret'] as const;
type Caller = (typeof CALLERS)[number];

interface EscrowJson {
  id: string;
  status: string;
  version: number;
  payment: { reference: string };
  disputes: { id: string }[];
  settlements: { id: string; status: string }[];
  events?: { type: string; commandId: string }[];
}
interface ProblemJson {
  status: number;
  code: string;
  detail: string;
}

/** What a case sends; `escrowId` is the escrow it may change (its state is checked to be untouched when refused). */
interface Request {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  escrowId?: string;
}

type Setup = (h: Helpers) => Promise<Request>;

/** Statuses in CALLERS order: buyer, seller, stranger user, service, admin, no token, expired, foreign secret. */
type Row = [expected: [number, number, number, number, number, number, number, number], route: string, setup: Setup];

const BUYER = 'buyer-1';
const SELLER = 'seller-1';

function helpers(s: TestServer, tokens: Record<Caller, string | undefined>) {
  const as = (who: Caller) => tokens[who];
  const ok = (res: HttpResult<EscrowJson>, status = 200): EscrowJson => {
    assert.equal(res.status, status, res.text);
    return res.body;
  };
  const h = {
    async create(over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const body = escrowInput(over);
      return ok(await s.call<EscrowJson>('POST', '/api/escrow', { token: as('service'), body }), 201);
    },
    async funded(over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const e = await h.create(over);
      const paid = await s.call<{ outcome: string }>('POST', `/api/sandbox/payments/${e.payment.reference}/succeed`);
      assert.equal(paid.body.outcome, 'FUNDS_HELD', paid.text);
      return e;
    },
    async act(id: string, action: string, who: Caller, body: unknown = {}, status = 200): Promise<EscrowJson> {
      return ok(await s.call<EscrowJson>('POST', `/api/escrow/${id}/${action}`, { token: as(who), body }), status);
    },
    async delivered(over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const e = await h.funded(over);
      return h.act(e.id, 'mark-delivered', 'seller', { title: 'sent' });
    },
    async disputed(): Promise<{ id: string; disputeId: string }> {
      const e = await h.delivered();
      const d = await s.call<{ id: string }>('POST', `/api/escrow/${e.id}/dispute`, {
        token: as('buyer'),
        body: { reason: 'Not as described' },
      });
      assert.equal(d.status, 201, d.text);
      return { id: e.id, disputeId: d.body.id };
    },
    /** A RELEASED escrow whose payout failed for good (amount ending in 15 fails attempts 1-3). */
    async failedSettlement(): Promise<{ id: string; settlementId: string }> {
      const e = await h.delivered({ amount: '30015' });
      await h.act(e.id, 'confirm-delivery', 'buyer');
      for (let i = 0; i < 4; i++) {
        await s.engine.settlementWorker.runOnce();
        s.clock.advance(10_000);
        const now = await s.engine.readModel.getEscrow(e.id);
        if (now?.settlements[0]?.status === 'FAILED') return { id: e.id, settlementId: now.settlements[0].id };
      }
      throw new Error('the settlement did not fail');
    },
    /** The command id of a MarkDelivered submitted by the seller. */
    async sellerCommand(): Promise<string> {
      const e = await h.funded();
      await h.act(e.id, 'mark-delivered', 'seller', { title: 'sent' });
      const full = await s.call<EscrowJson>('GET', `/api/escrow/${e.id}?include=events`, { token: as('admin') });
      const cmd = full.body.events?.find((x) => x.type === 'EscrowDelivered')?.commandId;
      assert.ok(cmd, full.text);
      return cmd;
    },
    async version(id: string): Promise<number> {
      return (await s.engine.readModel.getEscrow(id))?.version ?? -1;
    },
  };
  return h;
}
type Helpers = ReturnType<typeof helpers>;

const post = (escrowId: string, action: string, body: unknown = {}): Request => ({
  method: 'POST',
  path: `/api/escrow/${escrowId}/${action}`,
  body,
  escrowId,
});

/** A request that needs no escrow. */
const plain =
  (f: () => Request): Setup =>
  () =>
    Promise.resolve(f());

const U = 401;
// prettier-ignore
const MATRIX: Row[] = [
  // [buyer, seller, stranger user, service, admin, no token, expired token, token of another secret]
  [[201, 201, 403, 201, 201,   U,   U,   U], 'POST /api/escrow',
    plain(() => ({ method: 'POST', path: '/api/escrow', body: escrowInput() }))],
  [[200, 200, 200, 200, 200,   U,   U,   U], 'GET /api/escrow',
    plain(() => ({ method: 'GET', path: '/api/escrow' }))],
  [[200, 200, 404, 200, 200,   U,   U,   U], 'GET /api/escrow/{id}',
    async (h) => ({ method: 'GET', path: `/api/escrow/${(await h.create()).id}` })],
  [[200, 200, 404, 200, 200,   U,   U,   U], 'GET /api/escrow/{id}?include=events,ledger',
    async (h) => ({ method: 'GET', path: `/api/escrow/${(await h.funded()).id}?include=events,ledger` })],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'GET /api/escrow/{id}?include=audit',
    async (h) => ({ method: 'GET', path: `/api/escrow/${(await h.funded()).id}?include=audit` })],
  [[200, 200, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/cancel',
    async (h) => post((await h.create()).id, 'cancel', { reason: 'changed my mind' })],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/confirm-payment',
    async (h) => post((await h.create()).id, 'confirm-payment',
      { transactionId: 'wire-1', evidence: 'statement', amount: '10000', currency: 'USD' })],
  [[403, 200, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/mark-delivered',
    async (h) => post((await h.funded()).id, 'mark-delivered', { title: 'sent' })],
  [[200, 403, 404, 403, 403,   U,   U,   U], 'POST /api/escrow/{id}/confirm-delivery',
    async (h) => post((await h.delivered()).id, 'confirm-delivery')],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/release',
    async (h) => post((await h.delivered()).id, 'release', { reason: 'verified' })],
  [[403, 200, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/refund (full)',
    async (h) => post((await h.funded()).id, 'refund', { reason: 'out of stock' })],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/refund (partial)',
    async (h) => post((await h.delivered()).id, 'refund', { refundAmount: '2500', reason: 'one missing' })],
  [[201, 201, 404, 403, 403,   U,   U,   U], 'POST /api/escrow/{id}/dispute',
    async (h) => post((await h.funded()).id, 'dispute', { reason: 'Not as described' })],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/dispute/{d}/review',
    async (h) => { const d = await h.disputed(); return post(d.id, `dispute/${d.disputeId}/review`); }],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/dispute/{d}/resolve',
    async (h) => { const d = await h.disputed(); return post(d.id, `dispute/${d.disputeId}/resolve`, { resolution: 'SPLIT', buyerAmount: '4000', reason: 'half done' }); }],
  [[403, 403, 404, 403, 200,   U,   U,   U], 'POST /api/escrow/{id}/settlements/{s}/retry',
    async (h) => { const f = await h.failedSettlement(); return post(f.id, `settlements/${f.settlementId}/retry`); }],
  [[404, 200, 404, 404, 200,   U,   U,   U], 'GET /api/commands/{id} (submitted by the seller)',
    async (h) => ({ method: 'GET', path: `/api/commands/${await h.sellerCommand()}` })],
  [[403, 403, 403, 403, 200,   U,   U,   U], 'POST /api/admin/process-timeouts',
    plain(() => ({ method: 'POST', path: '/api/admin/process-timeouts', body: { dryRun: true } }))],
];

for (const kind of engineKinds()) {
  describe(`HTTP authorization matrix on ${kind}`, () => {
    let s: TestServer;
    let h: Helpers;
    let tokens: Record<Caller, string | undefined>;
    const touched = new Set<string>();
    before(async () => {
      s = await testServer(kind);
      tokens = {
        buyer: await s.token(BUYER, 'user'),
        seller: await s.token(SELLER, 'user'),
        stranger: await s.token('stranger-1', 'user'),
        service: await s.token('marketplace-backend', 'service'),
        admin: await s.token('ops-admin', 'admin'),
        noToken: undefined,
        expired: await s.token('ops-admin', 'admin', { ttl: '-1h' }),
        foreignSecret: await s.token('ops-admin', 'admin', { secret: 'another-secret-'.padEnd(72, 'z') }),
      };
      h = helpers(s, tokens);
    });
    after(async () => {
      try {
        for (const id of touched) await assertEscrowInvariants(s.engine, id);
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    it('the table covers every caller of every route', () => {
      for (const [expected, route] of MATRIX) assert.equal(expected.length, CALLERS.length, route);
    });

    for (const [expected, route, setup] of MATRIX) {
      CALLERS.forEach((caller, i) => {
        const want = expected[i]!;
        it(`${route} as ${caller} → ${want}`, async () => {
          const req = await setup(h);
          const versionBefore = req.escrowId ? await h.version(req.escrowId) : null;
          const token = tokens[caller];
          const res = await s.call<unknown>(req.method, req.path, {
            ...(token ? { token } : {}),
            ...(req.body !== undefined ? { body: req.body } : {}),
          });
          assert.equal(res.status, want, `${req.method} ${req.path} as ${caller}: ${res.text}`);
          assert.ok(res.headers.get('x-request-id'));
          if (want < 400) {
            assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
          } else {
            assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8', res.text);
            const p = res.body as ProblemJson;
            assert.equal(p.status, want);
            assert.equal(typeof p.code, 'string');
            const codes: Record<number, string[]> = {
              401: caller === 'expired' ? ['TOKEN_EXPIRED'] : ['UNAUTHORIZED'],
              403: ['FORBIDDEN'],
              404: ['ESCROW_NOT_FOUND', 'COMMAND_NOT_FOUND'],
            };
            assert.ok(codes[want]?.includes(p.code), `code ${p.code} for ${want}`);
            if (want === 401) assert.equal(res.headers.get('www-authenticate'), 'Bearer');
            if (req.escrowId) {
              assert.equal(await h.version(req.escrowId), versionBefore, 'a refused request changes nothing');
            }
          }
          if (req.escrowId) {
            touched.add(req.escrowId);
            await assertEscrowInvariants(s.engine, req.escrowId);
          }
          const m = /\/api\/escrow\/([0-9a-f-]{36})/.exec(req.path);
          if (m) touched.add(m[1]!);
        });
      });
    }

    it('the caller is checked before the state: a wrong caller on a wrong-state escrow is 403/404, the right one 409', async () => {
      const e = await h.create();
      touched.add(e.id);
      const confirm = (who: Caller) =>
        s.call<ProblemJson & { currentStatus?: string }>('POST', `/api/escrow/${e.id}/confirm-delivery`, {
          token: tokens[who]!,
          body: {},
        });
      const right = await confirm('buyer');
      assert.equal(right.status, 409, right.text);
      assert.equal(right.body.code, 'INVALID_STATE_TRANSITION');
      assert.equal(right.body.currentStatus, 'AWAIT_FUNDS');
      assert.equal((await confirm('seller')).status, 403);
      assert.equal((await confirm('admin')).status, 403);
      assert.equal((await confirm('stranger')).status, 404);
      assert.equal(await h.version(e.id), 1);
    });

    it('a malformed, role-less or alg-less token is 401', async () => {
      const e = await h.create();
      touched.add(e.id);
      const [, payload] = tokens.admin!.split('.');
      const noneAlg = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
      const badRole = await mintToken(TEST_JWT_SECRET, { sub: 'x', role: 'superuser' as never }, '1h');
      for (const authorization of [
        'Bearer',
        'Bearer not-a-jwt',
        `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        `bearer ${tokens.admin}`.replace('bearer', 'Token'),
        `Bearer ${noneAlg}`,
        `Bearer ${badRole}`,
        `Bearer ${tokens.admin!.slice(0, -2)}xx`,
      ]) {
        const res = await s.call<ProblemJson>('GET', `/api/escrow/${e.id}`, { headers: { authorization } });
        assert.equal(res.status, 401, `${authorization}: ${res.text}`);
        assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
        assert.equal(res.body.code, 'UNAUTHORIZED');
      }
    });

    it('authentication comes before body validation: no token + an invalid body is 401, not a schema leak', async () => {
      const e = await h.funded();
      touched.add(e.id);
      for (const [path, body] of [
        ['/api/escrow', { nope: 1 }],
        [`/api/escrow/${e.id}/refund`, { refundAmount: 25 }],
        ['/api/admin/process-timeouts', { dryRun: 'yes' }],
      ] as const) {
        const res = await s.call<ProblemJson>('POST', path, { body });
        assert.equal(res.status, 401, `POST ${path} without a token: ${res.text}`);
        assert.equal(res.body.code, 'UNAUTHORIZED');
      }
      for (const [path, body] of [
        ['/api/escrow', { nope: 1 }],
        [`/api/escrow/${randomUUID()}/cancel`, { reason: 1 }],
      ] as const) {
        const res = await s.call<ProblemJson>('POST', path, { body, token: tokens.expired! });
        assert.equal(res.status, 401, `POST ${path} with an expired token: ${res.text}`);
      }
    });
  });
}
