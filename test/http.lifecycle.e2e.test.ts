import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import {
  ENGINE_KINDS,
  RELEASED_LIFECYCLE,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  escrowInput,
  tableCounts,
  type EngineKind,
} from './harness.js';
import { assertEventsOnTopic, kafkaEnv } from './kafkaHarness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';
import { suite, type Service } from './services.js';

/**
 * Every lifecycle of lifecycle.int.test.ts and workers.int.test.ts, driven only through the HTTP API, the sandbox
 * payment endpoints, signed sandbox webhooks and the admin timeouts endpoint. The settlements worker and the clock
 * are the only things touched directly (they have no HTTP surface by design).
 */

interface SettlementJson {
  id: string;
  kind: string;
  amount: string;
  currency: string;
  beneficiaryId: string;
  status: string;
  failureReason: string | null;
}
interface DisputeJson {
  id: string;
  openedBy: string;
  status: string;
  resolution: string | null;
  buyerAmount: string | null;
  reviewerId: string | null;
}
interface EventJson {
  eventId: string;
  type: string;
  sequence: number;
  commandId: string;
  actor: { id: string; role: string };
}
interface LedgerJson {
  transactionId: string;
  account: string;
  amount: string;
  currency: string;
}
interface AuditJson {
  action: string;
  actorId: string;
  actorRole: string;
  fromStatus: string | null;
  toStatus: string | null;
}
interface EscrowJson {
  id: string;
  offerId: string;
  buyerId: string;
  sellerId: string;
  rail: string;
  currency: string;
  amount: string;
  buyerFee: string;
  sellerFee: string;
  status: string;
  version: number;
  expiresAt: string;
  autoRefundAt: string | null;
  payment: { reference: string; payUrl?: string };
  fundedAmount: string;
  releasedAmount: string;
  refundedAmount: string;
  feeAmount: string;
  refundType: string | null;
  cancelReason: string | null;
  flaggedForReview: boolean;
  createdAt: string;
  deliveries: { title: string; evidence: string[]; deliveredBy: string }[];
  disputes: DisputeJson[];
  settlements: SettlementJson[];
  events?: EventJson[];
  ledger?: LedgerJson[];
  audit?: AuditJson[];
}
interface ProblemJson {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  currentStatus?: string;
  errors?: { field: string; message: string }[];
}
interface AckJson {
  received: boolean;
  status: string;
  outcome?: string;
}

const BUYER = 'buyer-1';
const SELLER = 'seller-1';
const DIGITS = /^(0|[1-9][0-9]*)$/;

/** Every amount in an escrow response is a digit string (SPEC §2), never a JSON number. */
function assertDigitAmounts(e: EscrowJson): void {
  for (const k of [
    'amount',
    'buyerFee',
    'sellerFee',
    'fundedAmount',
    'releasedAmount',
    'refundedAmount',
    'feeAmount',
  ]) {
    const v = (e as unknown as Record<string, unknown>)[k];
    assert.equal(typeof v, 'string', `${k} is a string, got ${JSON.stringify(v)}`);
    assert.match(v as string, DIGITS, `${k} is digits`);
  }
  for (const s of e.settlements) {
    assert.equal(typeof s.amount, 'string');
    assert.match(s.amount, DIGITS);
  }
  for (const d of e.disputes) {
    if (d.buyerAmount !== null) assert.match(d.buyerAmount, DIGITS);
  }
  for (const p of e.ledger ?? []) {
    assert.equal(typeof p.amount, 'string');
    assert.match(p.amount, /^-?[0-9]+$/);
  }
}

function expectJson<T>(res: HttpResult<T>, status: number): T {
  assert.equal(res.status, status, `${status} expected: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.headers.get('x-request-id'), 'every response carries x-request-id');
  return res.body;
}

function expectEscrow(res: HttpResult<EscrowJson>, status = 200): EscrowJson {
  const e = expectJson(res, status);
  assertDigitAmounts(e);
  return e;
}

function expectProblem(res: HttpResult<unknown>, status: number, code: string): ProblemJson {
  assert.equal(res.status, status, `${status} ${code} expected: ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  const p = res.body as ProblemJson;
  assert.equal(p.code, code, res.text);
  assert.equal(p.status, status);
  assert.equal(typeof p.detail, 'string');
  return p;
}

const balance = (ledger: LedgerJson[], account: string) =>
  ledger.filter((p) => p.account === account).reduce((a, p) => a + BigInt(p.amount), 0n);

interface Callers {
  buyer: string;
  seller: string;
  stranger: string;
  service: string;
  admin: string;
}

/** The calls every lifecycle needs, over HTTP only. */
function client(s: TestServer, t: Callers) {
  const api = {
    async create(token: string, over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const res = await s.call<EscrowJson>('POST', '/api/escrow', {
        token,
        body: escrowInput(over),
      });
      const e = expectEscrow(res, 201);
      assert.equal(e.status, 'AWAIT_FUNDS');
      assert.equal(e.version, 1);
      assert.match(e.payment.reference, /^sbx_[0-9a-f]{32}$/);
      return e;
    },
    async pay(e: EscrowJson, outcome: 'succeed' | 'fail' = 'succeed'): Promise<AckJson> {
      const res = await s.call<AckJson>('POST', `/api/sandbox/payments/${e.payment.reference}/${outcome}`);
      const ack = expectJson(res, 200);
      assert.equal(ack.received, true);
      return ack;
    },
    async get(id: string, token = t.admin, include?: string): Promise<EscrowJson> {
      const q = include ? `?include=${include}` : '';
      return expectEscrow(await s.call<EscrowJson>('GET', `/api/escrow/${id}${q}`, { token }));
    },
    post<T = EscrowJson>(
      id: string,
      action: string,
      token: string,
      body: unknown = {},
      headers?: Record<string, string>,
    ) {
      return s.call<T>('POST', `/api/escrow/${id}/${action}`, { token, body, ...(headers ? { headers } : {}) });
    },
    async act(id: string, action: string, token: string, body: unknown = {}): Promise<EscrowJson> {
      return expectEscrow(await api.post(id, action, token, body));
    },
    async funded(over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const e = await api.create(t.buyer, over);
      const ack = await api.pay(e);
      assert.deepEqual(ack, { received: true, status: 'processed', outcome: 'FUNDS_HELD' });
      return e;
    },
    async delivered(over: Record<string, unknown> = {}): Promise<EscrowJson> {
      const e = await api.funded(over);
      const d = await api.act(e.id, 'mark-delivered', t.seller, { title: 'Delivered the goods' });
      assert.equal(d.status, 'DELIVERED');
      assert.ok(d.autoRefundAt);
      return d;
    },
    /** A signed sandbox webhook, posted with its exact raw body. */
    webhook(rawBody: string, signature = s.engine.sandbox.sign(rawBody)) {
      return s.call<AckJson>('POST', '/api/webhooks/sandbox', {
        body: rawBody,
        headers: { 'x-sandbox-signature': signature },
      });
    },
    paymentBody(e: EscrowJson, data: Record<string, unknown> = {}, id = `evt_${randomUUID()}`): string {
      return JSON.stringify({
        id,
        type: 'payment.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: {
          reference: e.payment.reference,
          transactionId: `sbx_txn_${randomUUID()}`,
          amount: (BigInt(e.amount) + BigInt(e.buyerFee)).toString(),
          currency: e.currency,
          ...data,
        },
      });
    },
    async processTimeouts(body: unknown = {}) {
      const res = await s.call<{
        expired: number;
        deliveryTimeouts: number;
        skipped: number;
        due: { kind: string; escrowId: string; deadline: string }[];
      }>('POST', '/api/admin/process-timeouts', { token: t.admin, body });
      return expectJson(res, 200);
    },
    types: (e: EscrowJson) => (e.events ?? []).map((x) => x.type),
  };
  return api;
}

async function callers(s: TestServer): Promise<Callers> {
  return {
    buyer: await s.token(BUYER, 'user'),
    seller: await s.token(SELLER, 'user'),
    stranger: await s.token('someone-else', 'user'),
    service: await s.token('marketplace-backend', 'service'),
    admin: await s.token('ops-admin', 'admin'),
  };
}

/** After a suite: the database verifies; over Kafka, every event also reached the events topic, in order per escrow. */
async function finish(s: TestServer): Promise<void> {
  try {
    await assertDatabaseVerifies(s.engine);
    if (s.env.KAFKA_BROKERS) await assertEventsOnTopic(s.env, s.testDb.db);
  } finally {
    await s.close();
  }
}

/**
 * Every database; and the last one again in Kafka mode as deployed: the API here, the worker and the outbox publisher
 * each in a process of their own (commands through the commands topic, events to the events topic).
 */
const SETUPS: { kind: EngineKind; label: string; env: () => Promise<Record<string, string>>; needs: Service[] }[] = [
  ...ENGINE_KINDS.map((kind) => ({ kind, label: kind, env: () => Promise.resolve({}), needs: [] })),
  {
    kind: 'postgres',
    label: 'postgres over Kafka (api, worker, outbox processes)',
    env: () => kafkaEnv('lifecycle'),
    needs: ['postgres', 'kafka'],
  },
];

for (const { kind, label, env, needs } of SETUPS) {
  suite(`HTTP lifecycles on ${label}`, needs, () => {
    let s: TestServer;
    let t: Callers;
    let api: ReturnType<typeof client>;
    before(async () => {
      s = await testServer(kind, await env());
      t = await callers(s);
      api = client(s, t);
    });
    after(() => finish(s));

    it('happy path: create → pay → deliver → confirm → settle', async () => {
      const created = await api.create(t.buyer, { amount: '25000' });
      assert.equal(created.amount, '25000');
      assert.equal(created.buyerFee, '0');
      assert.equal(created.fundedAmount, '0');
      assert.equal(
        created.payment.payUrl?.endsWith(`/api/sandbox/payments/${created.payment.reference}/succeed`),
        true,
      );
      const id = created.id;
      assert.deepEqual(await api.pay(created), { received: true, status: 'processed', outcome: 'FUNDS_HELD' });
      const held = await api.get(id, t.buyer);
      assert.equal(held.status, 'FUNDS_HELD');
      assert.equal(held.fundedAmount, '25000');
      const delivered = await api.act(id, 'mark-delivered', t.seller, { title: 'Keys sent', evidence: ['msg-1'] });
      assert.equal(delivered.status, 'DELIVERED');
      assert.deepEqual(delivered.deliveries[0]?.evidence, ['msg-1']);
      const confirmed = await api.act(id, 'confirm-delivery', t.buyer);
      assert.equal(confirmed.status, 'RELEASED');
      assert.equal(confirmed.releasedAmount, '25000');
      assert.equal(confirmed.settlements.length, 1);
      assert.equal(confirmed.settlements[0]?.kind, 'PAYOUT');
      assert.equal(confirmed.settlements[0]?.status, 'PENDING');
      const run = await s.engine.settlementWorker.runOnce();
      assert.equal(run.succeeded, 1);
      const final = await api.get(id, t.admin, 'events,ledger');
      assert.equal(final.settlements[0]?.status, 'SUCCEEDED');
      assert.equal(final.version, 6);
      assert.deepEqual(api.types(final), RELEASED_LIFECYCLE);
      const ledger = final.ledger ?? [];
      assert.equal(balance(ledger, `escrow:${id}:holding`), 0n);
      assert.equal(balance(ledger, `escrow:${id}:seller_payable`), 0n);
      assert.equal(balance(ledger, 'external:SANDBOX'), 0n);
      await assertEscrowInvariants(s.engine, id);
    });

    it('cancel by buyer, by seller and by admin records who cancelled', async () => {
      for (const [token, reason] of [
        [t.buyer, 'BUYER_CANCELLED'],
        [t.seller, 'SELLER_CANCELLED'],
        [t.admin, 'ADMIN'],
      ] as const) {
        const c = await api.create(t.service);
        const out = await api.act(c.id, 'cancel', token, { reason: 'changed my mind' });
        assert.equal(out.status, 'CANCELLED');
        assert.equal(out.cancelReason, reason);
        const again = expectProblem(await api.post(c.id, 'cancel', token, {}), 409, 'INVALID_STATE_TRANSITION');
        assert.equal(again.currentStatus, 'CANCELLED');
        await assertEscrowInvariants(s.engine, c.id);
      }
    });

    it('expires at the payment deadline through POST /api/admin/process-timeouts', async () => {
      const c = await api.create(t.buyer);
      s.clock.advanceDays(6);
      const early = await api.processTimeouts({ dryRun: true });
      assert.ok(!early.due.some((d) => d.escrowId === c.id), 'not due after 6 days');
      assert.ok(!(await api.processTimeouts()).due.some((d) => d.escrowId === c.id));
      assert.equal((await api.get(c.id)).status, 'AWAIT_FUNDS');
      s.clock.advanceDays(1.01);
      const dry = await api.processTimeouts({ dryRun: true });
      assert.ok(dry.due.some((d) => d.escrowId === c.id && d.kind.length > 0));
      assert.equal((await api.get(c.id)).status, 'AWAIT_FUNDS', 'a dry run changes nothing');
      const run = await api.processTimeouts();
      assert.ok(run.expired >= 1);
      const e = await api.get(c.id, t.buyer);
      assert.equal(e.status, 'CANCELLED');
      assert.equal(e.cancelReason, 'TIMEOUT');
      assert.equal((await api.processTimeouts({ dryRun: true })).due.length, 0, 'nothing left due');
      await assertEscrowInvariants(s.engine, c.id);
    });

    for (const [resolution, expected] of [
      ['RELEASE', { status: 'RELEASED', seller: '10000', buyer: '0' }],
      ['REFUND', { status: 'REFUNDED', seller: '0', buyer: '10000' }],
      ['SPLIT', { status: 'REFUNDED', seller: '6000', buyer: '4000' }],
    ] as const) {
      it(`dispute opened by the buyer, reviewed and resolved with ${resolution}`, async () => {
        const { id } = await api.delivered();
        const opened = await api.post<DisputeJson>(id, 'dispute', t.buyer, {
          reason: 'Not as described',
          evidence: ['photo-1'],
        });
        const dispute = expectJson(opened, 201);
        assert.equal(dispute.status, 'OPEN');
        assert.equal(dispute.openedBy, BUYER);
        assert.equal((await api.get(id, t.seller)).status, 'DISPUTED');
        expectProblem(await api.post(id, 'dispute', t.seller, { reason: 'again' }), 409, 'DISPUTE_ALREADY_OPEN');
        const p = expectProblem(await api.post(id, 'confirm-delivery', t.buyer), 409, 'INVALID_STATE_TRANSITION');
        assert.equal(p.currentStatus, 'DISPUTED');
        const reviewed = await api.act(id, `dispute/${dispute.id}/review`, t.admin);
        assert.equal(reviewed.disputes[0]?.status, 'IN_REVIEW');
        assert.equal(reviewed.disputes[0]?.reviewerId, 'ops-admin');
        const resolved = await api.act(id, `dispute/${dispute.id}/resolve`, t.admin, {
          resolution,
          reason: 'Evidence reviewed',
          ...(resolution === 'SPLIT' ? { buyerAmount: '4000' } : {}),
        });
        assert.equal(resolved.status, expected.status);
        assert.equal(resolved.disputes[0]?.status, 'RESOLVED');
        assert.equal(resolved.disputes[0]?.resolution, resolution);
        assert.equal(resolved.releasedAmount, expected.seller);
        assert.equal(resolved.refundedAmount, expected.buyer);
        if (resolution === 'SPLIT') {
          assert.equal(resolved.refundType, 'PARTIAL');
          assert.equal(resolved.disputes[0]?.buyerAmount, '4000');
        }
        await s.engine.settlementWorker.runOnce();
        const e = await api.get(id);
        assert.ok(e.settlements.length > 0);
        assert.ok(e.settlements.every((x) => x.status === 'SUCCEEDED'));
        await assertEscrowInvariants(s.engine, id);
      });
    }

    it('partial refund by an admin splits the fees pro rata (half-even)', async () => {
      // a service caller may set fees: the buyer pays 10000 + 333, the seller fee is 101
      const c = await api.create(t.service, { amount: '10000', buyerFee: '333', sellerFee: '101' });
      assert.equal(c.buyerFee, '333');
      assert.equal(c.sellerFee, '101');
      await api.pay(c);
      assert.equal((await api.get(c.id)).fundedAmount, '10333');
      const out = await api.act(c.id, 'refund', t.admin, { refundAmount: '2500', reason: 'one item missing' });
      // seller share 7500 → seller fee 101 × 7500 / 10000 = 75.75 → 76; the seller gets 7424; fees 333 + 76
      assert.equal(out.status, 'REFUNDED');
      assert.equal(out.refundType, 'PARTIAL');
      assert.equal(out.refundedAmount, '2500');
      assert.equal(out.releasedAmount, '7424');
      assert.equal(out.feeAmount, '409');
      assert.equal(out.settlements.length, 2);
      await s.engine.settlementWorker.runOnce();
      assert.ok((await api.get(c.id)).settlements.every((x) => x.status === 'SUCCEEDED'));
      await assertEscrowInvariants(s.engine, c.id);
    });

    it('only service/admin callers may set fees on create', async () => {
      const res = await s.call('POST', '/api/escrow', {
        token: t.buyer,
        body: {
          offerId: `fee-${randomUUID()}`,
          buyerId: BUYER,
          sellerId: SELLER,
          rail: 'SANDBOX',
          currency: 'USD',
          amount: '1000',
          buyerFee: '0',
        },
      });
      expectProblem(res, 403, 'FORBIDDEN');
    });

    it('the seller refunds in full, never partially; the buyer cannot refund', async () => {
      const { id } = await api.funded();
      expectProblem(
        await api.post(id, 'refund', t.seller, { refundAmount: '100', reason: 'partial' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(await api.post(id, 'refund', t.buyer, { reason: 'me' }), 403, 'FORBIDDEN');
      const out = await api.act(id, 'refund', t.seller, { reason: 'out of stock' });
      assert.equal(out.status, 'REFUNDED');
      assert.equal(out.refundType, 'FULL');
      assert.equal(out.refundedAmount, '10000');
      assert.equal(out.settlements[0]?.kind, 'REFUND');
      await s.engine.settlementWorker.runOnce();
      await assertEscrowInvariants(s.engine, id);
    });

    it('payment mismatch (signed webhook) is recorded and flagged, then an admin confirms the payment', async () => {
      const c = await api.create(t.buyer, { amount: '5000' });
      const id = c.id;
      const under = await api.webhook(api.paymentBody(c, { amount: '4999' }));
      assert.equal(expectJson(under, 200).status, 'processed');
      let e = await api.get(id, t.buyer);
      assert.equal(e.status, 'AWAIT_FUNDS');
      assert.equal(e.flaggedForReview, true);
      assert.equal(e.fundedAmount, '0');
      const wrongCurrency = await api.webhook(api.paymentBody(c, { currency: 'EUR' }));
      assert.equal(expectJson(wrongCurrency, 200).status, 'processed');
      e = await api.get(id, t.admin, 'events');
      // each mismatched payment is booked to suspense (issue 10 §5)
      assert.deepEqual(api.types(e), [
        'EscrowCreated',
        'PaymentMismatchRecorded',
        'SuspenseBooked',
        'PaymentMismatchRecorded',
        'SuspenseBooked',
      ]);
      // a forged signature is refused and stores nothing
      const before = await tableCounts(s.testDb.db);
      const forged = await api.webhook(api.paymentBody(c), `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`);
      expectProblem(forged, 400, 'INVALID_SIGNATURE');
      assert.deepEqual(await tableCounts(s.testDb.db), before);
      expectProblem(
        await api.post(id, 'confirm-payment', t.buyer, {
          transactionId: 'tx',
          evidence: 'trust me',
          amount: '5000',
          currency: 'USD',
        }),
        403,
        'FORBIDDEN',
      );
      const confirmed = await api.act(id, 'confirm-payment', t.admin, {
        transactionId: 'bank-transfer-881',
        evidence: 'Wire received, statement line 14',
        amount: '5000',
        currency: 'USD',
      });
      assert.equal(confirmed.status, 'FUNDS_HELD');
      assert.equal(confirmed.fundedAmount, '5000');
      const audited = await api.get(id, t.admin, 'audit');
      assert.ok(audited.audit?.some((a) => a.action === 'ConfirmPayment' && a.actorId === 'ops-admin'));
      await assertEscrowInvariants(s.engine, id);
    });

    it('a declined sandbox payment (amount ending in 02, or /fail) is recorded and the escrow still awaits funds', async () => {
      const magic = await api.create(t.buyer, { amount: '10002' });
      const ack = await api.pay(magic);
      assert.equal(ack.status, 'processed');
      const forced = await api.create(t.buyer, { amount: '10000' });
      assert.equal((await api.pay(forced, 'fail')).status, 'processed');
      for (const c of [magic, forced]) {
        const e = await api.get(c.id, t.buyer, 'events');
        assert.equal(e.status, 'AWAIT_FUNDS');
        assert.deepEqual(api.types(e), ['EscrowCreated', 'PaymentFailed']);
        await assertEscrowInvariants(s.engine, c.id);
      }
      // an unknown reference is a 404 problem, not a 500
      expectProblem(
        await s.call('POST', `/api/sandbox/payments/sbx_${'0'.repeat(32)}/succeed`),
        404,
        'ESCROW_NOT_FOUND',
      );
    });

    it('a payment arriving after cancellation is recorded and flagged, not dropped', async () => {
      const c = await api.create(t.buyer);
      await api.act(c.id, 'cancel', t.buyer);
      const late = await api.pay(c);
      assert.equal(late.status, 'processed');
      const e = await api.get(c.id, t.admin, 'events');
      assert.equal(e.status, 'CANCELLED');
      assert.equal(e.flaggedForReview, true);
      assert.equal(api.types(e).at(-1), 'EscrowFlaggedForReview');
      await assertEscrowInvariants(s.engine, c.id);
    });

    it('a repeated Idempotency-Key has exactly one effect and answers the first result', async () => {
      const { id } = await api.funded();
      const key = { 'idempotency-key': `deliver-${randomUUID()}` };
      const first = await api.post(id, 'mark-delivered', t.seller, { title: 'v1' }, key);
      const again = await api.post(id, 'mark-delivered', t.seller, { title: 'v1' }, key);
      expectEscrow(first);
      expectEscrow(again);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, first.body);
      const e = await api.get(id, t.admin, 'events');
      assert.equal(api.types(e).filter((x) => x === 'EscrowDelivered').length, 1);
      assert.equal(e.version, first.body.version);
      // the same key on another escrow is another request: refused, nothing changes
      const other = await api.funded();
      expectProblem(
        await api.post(other.id, 'mark-delivered', t.seller, { title: 'v1' }, key),
        422,
        'IDEMPOTENCY_KEY_REUSED',
      );
      assert.equal((await api.get(other.id)).status, 'FUNDS_HELD');
      // a retried create with the same key lands on the same escrow, once
      const body = {
        offerId: `offer-idem-${randomUUID()}`,
        buyerId: BUYER,
        sellerId: SELLER,
        rail: 'SANDBOX',
        currency: 'USD',
        amount: '10000',
      };
      const createKey = { 'idempotency-key': `create-${randomUUID()}` };
      const c1 = await s.call<EscrowJson>('POST', '/api/escrow', { token: t.buyer, body, headers: createKey });
      const c2 = await s.call<EscrowJson>('POST', '/api/escrow', { token: t.buyer, body, headers: createKey });
      assert.equal(expectEscrow(c1, 201).id, expectEscrow(c2, 201).id);
      assert.equal(c2.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(api.types(await api.get(c1.body.id, t.admin, 'events')), ['EscrowCreated']);
      await assertEscrowInvariants(s.engine, id);
      await assertEscrowInvariants(s.engine, other.id);
      await assertEscrowInvariants(s.engine, c1.body.id);
    });

    it('a duplicate webhook delivery (same raw body twice) has exactly one effect', async () => {
      const c = await api.create(t.buyer);
      const raw = api.paymentBody(c);
      const first = await api.webhook(raw);
      assert.deepEqual(expectJson(first, 200), { received: true, status: 'processed', outcome: 'FUNDS_HELD' });
      const counts = await tableCounts(s.testDb.db);
      const second = await api.webhook(raw);
      assert.deepEqual(expectJson(second, 200), { received: true, status: 'duplicate' });
      assert.deepEqual(await tableCounts(s.testDb.db), counts, 'the duplicate wrote nothing');
      // the same payment reported under a new provider event id (same transaction) changes nothing either
      const parsed = JSON.parse(raw) as { id: string };
      const resent = JSON.stringify({ ...parsed, id: `${parsed.id}-redelivered` });
      assert.equal(expectJson(await api.webhook(resent), 200).status, 'processed');
      const e = await api.get(c.id, t.admin, 'events');
      assert.deepEqual(api.types(e), ['EscrowCreated', 'EscrowFundsHeld']);
      assert.equal(e.fundedAmount, '10000');
      const { rows } = await s.testDb.db.query<{ attempts: number; processed: boolean }>(
        `SELECT attempts, processed_at IS NOT NULL AS processed FROM webhook_events WHERE event_id = $1`,
        [parsed.id],
      );
      assert.deepEqual(rows, [{ attempts: 1, processed: true }], 'stored once, processed once');
      await assertEscrowInvariants(s.engine, c.id);
    });

    it('GET /api/escrow/{id}?include=events,ledger,audit', async () => {
      const { id } = await api.delivered();
      const plain = await api.get(id, t.buyer);
      assert.equal(plain.events, undefined);
      assert.equal(plain.ledger, undefined);
      assert.equal(plain.audit, undefined);
      const full = await api.get(id, t.admin, 'events,ledger,audit');
      assert.deepEqual(
        full.events?.map((x) => x.sequence),
        [1, 2, 3],
      );
      assert.deepEqual(api.types(full), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      assert.equal(full.events?.[2]?.actor.id, SELLER);
      assert.ok((full.ledger?.length ?? 0) >= 2);
      const byTx = new Map<string, bigint>();
      for (const p of full.ledger ?? [])
        byTx.set(p.transactionId, (byTx.get(p.transactionId) ?? 0n) + BigInt(p.amount));
      for (const [tx, sum] of byTx) assert.equal(sum, 0n, `transaction ${tx} balances`);
      assert.equal(balance(full.ledger ?? [], `escrow:${id}:holding`), 10000n);
      assert.ok(full.audit?.some((a) => a.action === 'MarkDelivered' && a.actorId === SELLER));
      // a party may read events and ledger, not the audit log
      const party = await api.get(id, t.seller, 'events,ledger');
      assert.equal(party.events?.length, 3);
      expectProblem(await s.call('GET', `/api/escrow/${id}?include=audit`, { token: t.buyer }), 403, 'FORBIDDEN');
      expectProblem(
        await s.call('GET', `/api/escrow/${id}?include=bogus`, { token: t.admin }),
        400,
        'VALIDATION_ERROR',
      );
      expectProblem(await s.call('GET', `/api/escrow/${id}`, { token: t.stranger }), 404, 'ESCROW_NOT_FOUND');
      expectProblem(await s.call('GET', `/api/escrow/${randomUUID()}`, { token: t.admin }), 404, 'ESCROW_NOT_FOUND');
      expectProblem(await s.call('GET', '/api/escrow/not-a-uuid', { token: t.admin }), 400, 'VALIDATION_ERROR');
      await assertEscrowInvariants(s.engine, id);
    });

    it('GET /api/commands/{id} answers the submitter and admins', async () => {
      const { id } = await api.delivered();
      const e = await api.get(id, t.admin, 'events');
      const delivered = e.events?.find((x) => x.type === 'EscrowDelivered');
      assert.ok(delivered);
      const path = `/api/commands/${delivered.commandId}`;
      const expected = {
        commandId: delivered.commandId,
        escrowId: id,
        type: 'MarkDelivered',
        status: 'SUCCEEDED',
        fromStatus: 'FUNDS_HELD',
        toStatus: 'DELIVERED',
        version: 3,
        eventIds: [delivered.eventId],
      };
      assert.deepEqual(expectJson(await s.call('GET', path, { token: t.seller }), 200), expected);
      assert.deepEqual(expectJson(await s.call('GET', path, { token: t.admin }), 200), expected);
      expectProblem(await s.call('GET', path, { token: t.buyer }), 404, 'COMMAND_NOT_FOUND');
      expectProblem(await s.call('GET', path, { token: t.stranger }), 404, 'COMMAND_NOT_FOUND');
      expectProblem(await s.call('GET', `/api/commands/${randomUUID()}`, { token: t.admin }), 404, 'COMMAND_NOT_FOUND');
      expectProblem(await s.call('GET', '/api/commands/nope', { token: t.admin }), 400, 'VALIDATION_ERROR');
      expectProblem(await s.call('GET', path), 401, 'UNAUTHORIZED');
      await assertEscrowInvariants(s.engine, id);
    });
  });

  suite(`HTTP list and pagination on ${label}`, needs, () => {
    let s: TestServer;
    let t: Callers;
    let api: ReturnType<typeof client>;
    before(async () => {
      s = await testServer(kind, await env());
      t = await callers(s);
      api = client(s, t);
    });
    after(() => finish(s));

    type Page = { data: EscrowJson[]; nextCursor: string | null };
    const list = async (token: string, query: string): Promise<Page> => {
      const page = expectJson(await s.call<Page>('GET', `/api/escrow${query ? `?${query}` : ''}`, { token }), 200);
      page.data.forEach(assertDigitAmounts);
      return page;
    };
    /** Follows nextCursor to the end; `limit` omitted = the default page size (20). */
    const all = async (token: string, query: string, limit?: number): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 60; i++) {
        const q = [query, limit ? `limit=${limit}` : '', cursor ? `cursor=${encodeURIComponent(cursor)}` : ''];
        const page: Page = await list(token, q.filter(Boolean).join('&'));
        assert.ok(page.data.length <= (limit ?? 20));
        if (page.nextCursor) assert.equal(page.data.length, limit ?? 20, 'only the last page is short');
        ids.push(...page.data.map((e) => e.id));
        if (!page.nextCursor) return ids;
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end');
    };

    // 18 escrows at one instant (ties are broken by id), then 4 a minute later, 2 of them of another buyer
    const created: EscrowJson[] = [];
    let startedAt = '';
    let midpoint = '';
    const ids = (es: EscrowJson[]) => new Set(es.map((e) => e.id));
    const newestFirst = () =>
      [...created]
        .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
        .map((e) => e.id);

    it('creates the data set', async () => {
      startedAt = s.clock.now().toISOString();
      for (let i = 0; i < 18; i++) {
        created.push(await api.create(t.service, { buyerId: 'lister-b', sellerId: 'lister-s' }));
      }
      s.clock.advance(60_000);
      midpoint = s.clock.now().toISOString();
      for (const buyerId of ['lister-b', 'lister-b', 'lister-other', 'lister-other']) {
        created.push(await api.create(t.service, { buyerId, sellerId: 'lister-s' }));
      }
      for (const e of created.slice(0, 3)) await api.pay(e);
      assert.equal(created.length, 22);
    });

    it('the default page (20) and its cursor return every escrow once, newest first', async () => {
      const first = await list(t.admin, 'sellerId=lister-s');
      assert.equal(first.data.length, 20);
      assert.ok(first.nextCursor);
      assert.deepEqual(await all(t.admin, 'sellerId=lister-s'), newestFirst());
      assert.deepEqual(await all(await s.token('lister-s', 'user'), ''), newestFirst());
    });

    it('GET /api/escrow?limit=N pages by N', async () => {
      for (const limit of [1, 3, 7, 50]) {
        assert.deepEqual(await all(t.admin, 'sellerId=lister-s', limit), newestFirst(), `limit ${limit}`);
      }
      assert.equal((await list(t.admin, 'sellerId=lister-s&limit=22')).nextCursor, null);
      assert.ok((await list(t.admin, 'sellerId=lister-s&limit=21')).nextCursor);
    });

    it('filters by status, rail, buyer, seller and creation time', async () => {
      const mine = created.filter((e) => e.buyerId === 'lister-b');
      assert.deepEqual(new Set(await all(t.service, 'sellerId=lister-s&status=FUNDS_HELD')), ids(created.slice(0, 3)));
      assert.deepEqual(new Set(await all(t.admin, 'buyerId=lister-b')), ids(mine));
      assert.deepEqual(new Set(await all(t.admin, 'buyerId=lister-b&status=AWAIT_FUNDS')), ids(mine.slice(3)));
      assert.equal((await all(t.admin, 'buyerId=lister-b&status=CANCELLED')).length, 0);
      assert.equal((await all(t.admin, 'sellerId=lister-s&rail=SANDBOX')).length, 22);
      assert.equal((await all(t.admin, 'sellerId=lister-s&rail=STRIPE')).length, 0);
      const from = encodeURIComponent(startedAt);
      const mid = encodeURIComponent(midpoint);
      assert.deepEqual(new Set(await all(t.admin, `sellerId=lister-s&createdFrom=${mid}`)), ids(created.slice(18)));
      assert.deepEqual(
        new Set(await all(t.admin, `sellerId=lister-s&createdFrom=${from}&createdTo=${mid}`)),
        ids(created.slice(0, 18)),
      );
      assert.deepEqual(
        new Set(await all(t.admin, `buyerId=lister-other&sellerId=lister-s&createdFrom=${mid}`)),
        ids(created.slice(20)),
      );
    });

    it('a user sees only escrows they are a party of, whatever the filter says', async () => {
      const buyer = await s.token('lister-b', 'user');
      assert.deepEqual(new Set(await all(buyer, '')), ids(created.filter((e) => e.buyerId === 'lister-b')));
      assert.equal((await all(buyer, 'buyerId=lister-other')).length, 0);
      const other = await s.token('lister-other', 'user');
      assert.deepEqual(new Set(await all(other, '')), ids(created.slice(20)));
      assert.deepEqual(await list(t.stranger, ''), { data: [], nextCursor: null });
      assert.deepEqual(await list(t.stranger, 'sellerId=lister-s'), { data: [], nextCursor: null });
    });

    it('a bad query is a 400 problem', async () => {
      for (const q of [
        'limit=51',
        'limit=0',
        'limit=abc',
        'status=PAID',
        'cursor=garbage',
        'colour=red',
        'createdFrom=yesterday',
      ]) {
        expectProblem(await s.call('GET', `/api/escrow?${q}`, { token: t.admin }), 400, 'VALIDATION_ERROR');
      }
      for (const e of created) await assertEscrowInvariants(s.engine, e.id);
    });
  });

  for (const action of ['REFUND', 'RELEASE'] as const) {
    suite(`HTTP delivery timeout with ESCROW_DELIVERED_TIMEOUT_ACTION=${action} on ${label}`, needs, () => {
      let s: TestServer;
      let api: ReturnType<typeof client>;
      before(async () => {
        s = await testServer(kind, { ...(await env()), ESCROW_DELIVERED_TIMEOUT_ACTION: action });
        api = client(s, await callers(s));
      });
      after(() => finish(s));

      it(`applies ${action} once the confirmation deadline passed, exactly once`, async () => {
        const { id } = await api.delivered();
        s.clock.advanceDays(6.9);
        assert.equal((await api.processTimeouts()).deliveryTimeouts, 0);
        s.clock.advanceDays(0.2);
        const dry = await api.processTimeouts({ dryRun: true });
        assert.ok(dry.due.some((d) => d.escrowId === id));
        assert.equal((await api.get(id)).status, 'DELIVERED', 'a dry run changes nothing');
        const first = await api.processTimeouts();
        assert.equal(first.deliveryTimeouts, 1);
        const second = await api.processTimeouts();
        assert.equal(second.deliveryTimeouts, 0, 'a second run finds nothing due');
        const e = await api.get(id, await s.token(BUYER, 'user'), 'events');
        assert.equal(e.status, action === 'REFUND' ? 'REFUNDED' : 'RELEASED');
        assert.equal(e.settlements.length, 1);
        assert.equal(e.settlements[0]?.kind, action === 'REFUND' ? 'REFUND' : 'PAYOUT');
        assert.equal(action === 'REFUND' ? e.refundedAmount : e.releasedAmount, '10000');
        assert.equal(api.types(e).at(-1), action === 'REFUND' ? 'EscrowRefunded' : 'EscrowReleased');
        assert.equal((await s.engine.settlementWorker.runOnce()).succeeded, 1);
        await assertEscrowInvariants(s.engine, id);
      });
    });
  }

  suite(`HTTP settlements on ${label}`, needs, () => {
    let s: TestServer;
    let t: Callers;
    let api: ReturnType<typeof client>;
    before(async () => {
      s = await testServer(kind, { ...(await env()), ESCROW_MAX_RETRIES: '3', ESCROW_RETRY_DELAY_MS: '1000' });
      t = await callers(s);
      api = client(s, t);
    });
    after(() => finish(s));

    it('a transient failure (amount ending in 14) is retried with backoff and then succeeds', async () => {
      const { id } = await api.delivered({ amount: '20014' });
      await api.act(id, 'confirm-delivery', t.buyer);
      assert.equal((await s.engine.settlementWorker.runOnce()).retrying, 1);
      assert.equal((await api.get(id)).settlements[0]?.status, 'PENDING');
      assert.equal((await s.engine.settlementWorker.runOnce()).claimed, 0, 'not due before the backoff');
      s.clock.advance(1001);
      assert.equal((await s.engine.settlementWorker.runOnce()).succeeded, 1);
      assert.equal((await api.get(id)).settlements[0]?.status, 'SUCCEEDED');
      await assertEscrowInvariants(s.engine, id);
    });

    it('a settlement failing past ESCROW_MAX_RETRIES (amount ending in 15) is FAILED; an admin retry succeeds', async () => {
      const { id } = await api.delivered({ amount: '30015' });
      await api.act(id, 'confirm-delivery', t.buyer);
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await s.engine.settlementWorker.runOnce();
        outcomes.push(r.failed ? 'failed' : r.retrying ? 'retrying' : 'none');
        s.clock.advance(10_000);
      }
      assert.deepEqual(outcomes, ['retrying', 'retrying', 'failed']);
      let e = await api.get(id, t.seller, 'ledger');
      const settlement = e.settlements[0];
      assert.ok(settlement);
      assert.equal(settlement.status, 'FAILED');
      assert.equal(settlement.amount, '30015');
      assert.match(settlement.failureReason ?? '', /magic amount/);
      assert.equal(e.status, 'RELEASED', 'a failed payout never rolls the escrow back');
      assert.equal(balance(e.ledger ?? [], `escrow:${id}:seller_payable`), 30015n, 'still owed to the seller');
      await assertEscrowInvariants(s.engine, id);
      assert.equal((await s.engine.settlementWorker.runOnce()).claimed, 0, 'FAILED is not picked up by itself');

      const retryPath = `settlements/${settlement.id}/retry`;
      expectProblem(await api.post(id, retryPath, t.seller), 403, 'FORBIDDEN');
      expectProblem(await api.post(id, `settlements/${randomUUID()}/retry`, t.admin), 404, 'SETTLEMENT_NOT_FOUND');
      const retried = await api.act(id, retryPath, t.admin);
      assert.equal(retried.settlements[0]?.status, 'PENDING');
      const p = expectProblem(await api.post(id, retryPath, t.admin), 409, 'INVALID_STATE_TRANSITION');
      assert.equal(p.currentStatus, 'PENDING');
      assert.equal((await s.engine.settlementWorker.runOnce()).succeeded, 1);
      e = await api.get(id, t.admin, 'events,ledger');
      assert.equal(e.settlements[0]?.status, 'SUCCEEDED');
      assert.deepEqual(api.types(e).slice(-3), ['SettlementFailed', 'SettlementRetried', 'SettlementSucceeded']);
      assert.equal(balance(e.ledger ?? [], `escrow:${id}:seller_payable`), 0n);
      await assertEscrowInvariants(s.engine, id);
    });
  });
}
