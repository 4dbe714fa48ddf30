import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import { Redis } from 'ioredis';
import { SqlIdempotencyStore } from '../src/adapters/db/idempotencyStore.js';
import { RedisIdempotencyStore } from '../src/adapters/redis/idempotencyStore.js';
import type { IdempotencyStore } from '../src/app/ports/index.js';
import { keyedCommandId, requestHash } from '../src/http/idempotency.js';
import {
  ENGINE_KINDS,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  tableCounts,
  type EngineKind,
  escrowInput,
} from './harness.js';
import { testServer, type HttpResult, type TestServer } from './httpHarness.js';
import { suite, type Service } from './services.js';

/**
 * Idempotency-Key over HTTP (SPEC §5): the same POST with the same key has one effect however often and however
 * concurrently it is sent, every answer is the same, a later replay says `idempotent-replayed: true`, the same key with
 * another request is 422 IDEMPOTENCY_KEY_REUSED and writes nothing, and a key belongs to the caller who sent it.
 * Responses are kept IDEMPOTENCY_TTL_HOURS in PostgreSQL or Redis (IDEMPOTENCY_STORAGE); every case runs on each.
 */

interface EscrowJson {
  id: string;
  offerId: string;
  status: string;
  version: number;
  amount: string;
  payment: { reference: string };
  events?: { type: string }[];
}
interface ProblemJson {
  status: number;
  code: string;
}

const BUYER = 'buyer-1';
const SELLER = 'seller-1';
const PARALLEL = 10;

const key = (label: string) => ({ 'idempotency-key': `${label}-${randomUUID()}` });

function expectProblem(res: HttpResult<unknown>, status: number, code: string): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal((res.body as ProblemJson).code, code, res.text);
}

/** Ten answers to one request: the same status, byte-identical bodies. */
function assertAllSame(results: HttpResult<unknown>[], status: number): void {
  assert.equal(results.length, PARALLEL);
  assert.deepEqual(
    results.map((r) => r.status),
    Array<number>(PARALLEL).fill(status),
    results.map((r) => r.text).join('\n'),
  );
  for (const r of results) {
    assert.equal(r.text, results[0]!.text, 'every answer has the same body');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  }
  assert.ok(results.filter((r) => r.headers.get('idempotent-replayed') === null).length <= 1, 'at most one original');
}

const TTL_HOURS = 24;
const LOCK_SECONDS = 30;
const setups: { kind: EngineKind; storage: 'postgres' | 'redis'; needs: Service[] }[] = [
  ...ENGINE_KINDS.map((kind) => ({ kind, storage: 'postgres' as const, needs: [] })),
  { kind: ENGINE_KINDS.at(-1)!, storage: 'redis', needs: ['redis'] },
];

for (const { kind, storage, needs } of setups) {
  suite(`HTTP Idempotency-Key on ${kind}, responses stored in ${storage}`, needs, () => {
    let s: TestServer;
    let buyer: string;
    let seller: string;
    let service: string;
    let admin: string;
    const touched = new Set<string>();

    const create = (token: string, body: unknown, headers: Record<string, string> = {}) =>
      s.call<EscrowJson>('POST', '/api/escrow', { token, body, headers });
    const act = (id: string, action: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
      s.call<EscrowJson>('POST', `/api/escrow/${id}/${action}`, { token, body, headers });
    const events = async (id: string) => (await s.engine.readModel.events(id)).map((e) => e.type);
    const funded = async (): Promise<EscrowJson> => {
      const res = await create(service, escrowInput());
      assert.equal(res.status, 201, res.text);
      const paid = await s.call('POST', `/api/sandbox/payments/${res.body.payment.reference}/succeed`);
      assert.equal(paid.status, 200, paid.text);
      touched.add(res.body.id);
      return res.body;
    };

    let redis: Redis | undefined;
    let store: IdempotencyStore;
    /** How many stored responses (or in-flight locks) the backend holds. */
    const storedKeys = async (): Promise<number> => {
      if (redis) return (await redis.keys('escrow-idem:*')).length;
      const { rows } = await s.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys');
      return rows[0]!.n;
    };

    before(async () => {
      s = await testServer(kind, {
        IDEMPOTENCY_STORAGE: storage,
        IDEMPOTENCY_TTL_HOURS: String(TTL_HOURS),
        IDEMPOTENCY_LOCK_SECONDS: String(LOCK_SECONDS),
        ...(storage === 'redis' ? { REDIS_URL: process.env.TEST_REDIS_URL! } : {}),
      });
      if (storage === 'redis') {
        redis = new Redis(process.env.TEST_REDIS_URL!);
        store = new RedisIdempotencyStore(redis);
      } else store = new SqlIdempotencyStore(s.testDb.db);
      buyer = await s.token(BUYER, 'user');
      seller = await s.token(SELLER, 'user');
      service = await s.token('marketplace-backend', 'service');
      admin = await s.token('ops-admin', 'admin');
    });
    after(async () => {
      try {
        for (const id of touched) await assertEscrowInvariants(s.engine, id);
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
        await redis?.quit();
      }
    });

    it(`create: ${PARALLEL} parallel requests with one key → one escrow, ${PARALLEL} identical 201s`, async () => {
      const before = await tableCounts(s.testDb.db);
      const body = escrowInput();
      const headers = key('create');
      const results = await Promise.all(Array.from({ length: PARALLEL }, () => create(buyer, body, headers)));
      assertAllSame(results, 201);
      const id = results[0]!.body.id;
      touched.add(id);
      const afterCounts = await tableCounts(s.testDb.db);
      assert.equal(afterCounts.escrows, before.escrows! + 1, 'exactly one escrow');
      assert.equal(afterCounts.escrow_events, before.escrow_events! + 1, 'exactly one event');
      assert.equal(afterCounts.processed_commands, before.processed_commands! + 1, 'exactly one command');
      assert.deepEqual(await events(id), ['EscrowCreated']);
      const { rows } = await s.testDb.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM escrows WHERE offer_id = $1',
        [body.offerId],
      );
      assert.equal(rows[0]?.n, 1);

      // a later replay answers the same, says so, and still writes nothing
      const replay = await create(buyer, body, headers);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.text, results[0]!.text);
      assert.deepEqual(await tableCounts(s.testDb.db), afterCounts);
      await assertEscrowInvariants(s.engine, id);
    });

    it(`mark-delivered: ${PARALLEL} parallel requests with one key → one event, ${PARALLEL} identical 200s`, async () => {
      const { id } = await funded();
      const body = { title: 'Keys sent', evidence: ['msg-1'] };
      const headers = key('deliver');
      const before = await tableCounts(s.testDb.db);
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () => act(id, 'mark-delivered', seller, body, headers)),
      );
      assertAllSame(results, 200);
      assert.equal(results[0]!.body.status, 'DELIVERED');
      assert.equal(results[0]!.body.version, 3);
      const afterCounts = await tableCounts(s.testDb.db);
      assert.equal(afterCounts.escrow_events, before.escrow_events! + 1, 'exactly one event');
      assert.equal(afterCounts.deliveries, before.deliveries! + 1, 'exactly one delivery');
      assert.equal(afterCounts.processed_commands, before.processed_commands! + 1);
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);

      // the escrow moves on; a replay still answers the escrow as the first request saw it
      const confirmed = await act(id, 'confirm-delivery', buyer, {});
      assert.equal(confirmed.body.status, 'RELEASED', confirmed.text);
      const replay = await act(id, 'mark-delivered', seller, body, headers);
      assert.equal(replay.status, 200);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.text, results[0]!.text);
      assert.deepEqual(
        (await events(id)).filter((t) => t === 'EscrowDelivered'),
        ['EscrowDelivered'],
      );
      await s.engine.settlementWorker.runOnce();
      await assertEscrowInvariants(s.engine, id);
    });

    it('dispute (201 with the dispute): parallel requests with one key → one dispute, identical answers', async () => {
      const { id } = await funded();
      const headers = key('dispute');
      const body = { reason: 'Not as described' };
      const results = await Promise.all(
        Array.from({ length: PARALLEL }, () => act(id, 'dispute', buyer, body, headers)),
      );
      assertAllSame(results, 201);
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'DisputeOpened']);
      const replay = await act(id, 'dispute', buyer, body, headers);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.text, results[0]!.text);
      await assertEscrowInvariants(s.engine, id);
    });

    it('the first request without a replay header; requests without a key are never deduplicated', async () => {
      const { id } = await funded();
      const headers = key('first');
      const first = await act(id, 'mark-delivered', seller, { title: 'once' }, headers);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const a = await create(buyer, escrowInput());
      const b = await create(buyer, escrowInput());
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.body.id, b.body.id);
      assert.equal(a.headers.get('idempotent-replayed'), null);
      for (const e of [id, a.body.id, b.body.id]) touched.add(e);
    });

    it('the same key with a different body → 422 IDEMPOTENCY_KEY_REUSED and nothing written', async () => {
      // create
      const headers = key('reuse-create');
      const body = escrowInput();
      const first = await create(buyer, body, headers);
      assert.equal(first.status, 201, first.text);
      touched.add(first.body.id);
      const counts = await tableCounts(s.testDb.db);
      for (const other of [
        { ...body, amount: '10001' },
        { ...body, offerId: `${body.offerId}-b` },
        { ...body, metadata: { note: 'x' } },
      ]) {
        expectProblem(await create(buyer, other, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
      }
      assert.deepEqual(await tableCounts(s.testDb.db), counts, 'nothing written');

      // an action: another body, another action, another escrow
      const e = await funded();
      const other = await funded();
      const k = key('reuse-action');
      const delivered = await act(e.id, 'mark-delivered', seller, { title: 'v1' }, k);
      assert.equal(delivered.status, 200, delivered.text);
      const counts2 = await tableCounts(s.testDb.db);
      expectProblem(await act(e.id, 'mark-delivered', seller, { title: 'v2' }, k), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await act(e.id, 'refund', seller, { reason: 'changed my mind' }, k), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await act(other.id, 'mark-delivered', seller, { title: 'v1' }, k), 422, 'IDEMPOTENCY_KEY_REUSED');
      expectProblem(await create(seller, escrowInput(), k), 422, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await tableCounts(s.testDb.db), counts2, 'nothing written');
      assert.equal((await s.engine.readModel.getEscrow(other.id))?.status, 'FUNDS_HELD');
      assert.equal((await s.engine.readModel.getEscrow(e.id))?.version, 3);
    });

    it("parallel requests with one key and two bodies: one effect, and no request gets the other body's answer", async () => {
      const wrong: string[] = [];
      for (let round = 0; round < 5; round++) {
        const { id } = await funded();
        const headers = key('race');
        const bodies = Array.from({ length: PARALLEL }, (_, i) => ({ title: i % 2 === 0 ? 'even' : 'odd' }));
        const results = await Promise.all(bodies.map((b) => act(id, 'mark-delivered', seller, b, headers)));
        const okTitles = new Set<string>();
        results.forEach((r, i) => {
          const sent = bodies[i]!.title;
          if (r.status === 200) {
            const got = (r.body as unknown as { deliveries: { title: string }[] }).deliveries[0]?.title;
            if (got !== sent) {
              wrong.push(
                `sent title=${sent}, got ${r.status} idempotent-replayed=${r.headers.get('idempotent-replayed')} ` +
                  `with title=${got}`,
              );
            } else okTitles.add(sent);
          } else {
            assert.ok([409, 422].includes(r.status), r.text);
            assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8');
          }
        });
        assert.ok(okTitles.size <= 1, 'at most one body succeeded');
        assert.deepEqual(
          (await events(id)).filter((t) => t === 'EscrowDelivered'),
          ['EscrowDelivered'],
          'exactly one effect',
        );
        await assertEscrowInvariants(s.engine, id);
      }
      assert.deepEqual(wrong, [], 'the same key with another body must be refused (422), never answered with 200');
    });

    it('the same key from a different caller is a different key', async () => {
      const k = key('shared');
      // two callers create with the same key and their own bodies: two escrows, no replay, no 422
      const a = await create(buyer, escrowInput(), k);
      const b = await create(seller, escrowInput(), k);
      const c = await create(service, escrowInput(), k);
      const d = await create(admin, escrowInput(), k);
      for (const r of [a, b, c, d]) {
        assert.equal(r.status, 201, r.text);
        assert.equal(r.headers.get('idempotent-replayed'), null);
        touched.add(r.body.id);
      }
      assert.equal(new Set([a, b, c, d].map((r) => r.body.id)).size, 4);
      // the same key and the same body from another caller is not a replay of the first caller's answer: it is a
      // create of its own, refused because the offer is taken
      const body = escrowInput();
      const fixed = { 'idempotency-key': `fixed-${randomUUID()}` };
      const mine = await create(buyer, body, fixed);
      assert.equal(mine.status, 201, mine.text);
      touched.add(mine.body.id);
      const theirs = await create(seller, body, fixed);
      expectProblem(theirs, 409, 'OFFER_ALREADY_IN_ESCROW');
      assert.equal(theirs.headers.get('idempotent-replayed'), null);

      // actions: the seller's key and the buyer's key do not collide
      const e = await funded();
      const ka = key('party');
      const delivered = await act(e.id, 'mark-delivered', seller, { title: 'sent' }, ka);
      assert.equal(delivered.status, 200, delivered.text);
      const confirmed = await act(e.id, 'confirm-delivery', buyer, {}, ka);
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.equal(confirmed.headers.get('idempotent-replayed'), null);
      assert.equal(confirmed.body.status, 'RELEASED');
      await s.engine.settlementWorker.runOnce();
      await assertEscrowInvariants(s.engine, e.id);
    });

    it('an Idempotency-Key that is empty, too long or not visible ASCII is a 400 problem and writes nothing', async () => {
      const counts = await tableCounts(s.testDb.db);
      for (const bad of ['', 'x'.repeat(256), 'has space', 'tab\tkey', 'naïve']) {
        const res = await create(buyer, escrowInput(), { 'idempotency-key': bad });
        expectProblem(res, 400, 'VALIDATION_ERROR');
      }
      assert.deepEqual(await tableCounts(s.testDb.db), counts);
      const max = await create(buyer, escrowInput(), { 'idempotency-key': randomUUID().padEnd(255, 'k') });
      assert.equal(max.status, 201, max.text);
      touched.add(max.body.id);
    });

    it('a rejection is the key’s outcome: replayed as stored for the TTL, and from the command record after it', async () => {
      const { id } = await funded();
      const k = key('rejected');
      const first = await act(id, 'confirm-delivery', buyer, {}, k);
      expectProblem(first, 409, 'INVALID_STATE_TRANSITION');
      assert.equal(first.headers.get('idempotent-replayed'), null);
      const outcome = await s.call<{ status: string; error: { code: string } }>(
        'GET',
        `/api/commands/${keyedCommandId(BUYER, k['idempotency-key'])}`,
        { token: buyer },
      );
      assert.equal(outcome.status, 200, outcome.text);
      assert.equal(outcome.body.status, 'FAILED');
      assert.equal(outcome.body.error.code, 'INVALID_STATE_TRANSITION');
      assert.equal((await act(id, 'mark-delivered', seller, { title: 'shipped' })).status, 200);

      // the escrow could now be confirmed, but the key answers what it answered
      s.clock.advance((TTL_HOURS - 1) * 3_600_000);
      const replay = await act(id, 'confirm-delivery', buyer, {}, k);
      assert.equal(replay.status, 409);
      assert.equal(replay.text, first.text, 'the stored problem, byte for byte');
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      expectProblem(await act(id, 'confirm-delivery', buyer, { note: 1 }, k), 400, 'VALIDATION_ERROR');

      // past the TTL the stored bytes are gone, but the refusal is the command's recorded outcome: never applied
      s.clock.advance(2 * 3_600_000);
      const [a, b] = await Promise.all([
        act(id, 'confirm-delivery', buyer, {}, k),
        act(id, 'confirm-delivery', buyer, {}, k),
      ]);
      for (const r of [a, b]) {
        expectProblem(r, 409, 'INVALID_STATE_TRANSITION');
        assert.equal(r.text, first.text);
        assert.equal(r.headers.get('idempotent-replayed'), 'true');
      }
      assert.equal((await s.engine.readModel.getEscrow(id))?.status, 'DELIVERED');
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      // a new key confirms it
      const confirmed = await act(id, 'confirm-delivery', buyer, {}, key('confirm'));
      assert.equal(confirmed.body.status, 'RELEASED', confirmed.text);
      await s.engine.settlementWorker.runOnce();
      await assertEscrowInvariants(s.engine, id);
    });

    it('past the TTL a committed command still replays from its command record, and another body is still 422', async () => {
      const { id } = await funded();
      const k = key('committed');
      const body = { title: 'Keys sent' };
      const first = await act(id, 'mark-delivered', seller, body, k);
      assert.equal(first.status, 200, first.text);
      assert.ok((await storedKeys()) > 0, 'the response is stored');
      s.clock.advance((TTL_HOURS + 1) * 3_600_000);
      const counts = await tableCounts(s.testDb.db);
      const replay = await act(id, 'mark-delivered', seller, body, k);
      assert.equal(replay.status, 200, replay.text);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.equal(replay.text, first.text);
      expectProblem(await act(id, 'mark-delivered', seller, { title: 'other' }, k), 422, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await tableCounts(s.testDb.db), counts, 'nothing written');
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      await assertEscrowInvariants(s.engine, id);
    });

    it('a key in flight elsewhere → 409 IDEMPOTENCY_KEY_IN_FLIGHT; a lock left by a dead request is taken over', async () => {
      const { id } = await funded();
      const k = `in-flight-${randomUUID()}`;
      const body = { title: 'Keys sent' };
      // another replica holds the key (or died holding it): its claim, made with the same request's hash
      const hash = requestHash('POST', '/api/escrow/:id/mark-delivered', { id }, body);
      const commandId = keyedCommandId(SELLER, k);
      const claim = await store.claim(commandId, hash, s.clock.now(), LOCK_SECONDS * 1000, TTL_HOURS * 3_600_000);
      assert.equal(claim.kind, 'claimed');

      const counts = await tableCounts(s.testDb.db);
      const busy = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      expectProblem(busy, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
      assert.equal(busy.headers.get('retry-after'), '1');
      const other = await act(id, 'mark-delivered', seller, { title: 'else' }, { 'idempotency-key': k });
      expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
      assert.deepEqual(await tableCounts(s.testDb.db), counts, 'nothing written');

      // the holder died: once its lock runs out, the retry takes the key over and applies the command once
      s.clock.advance((LOCK_SECONDS + 1) * 1000);
      const retried = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.body.status, 'DELIVERED');
      const again = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(again.text, retried.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      await assertEscrowInvariants(s.engine, id);
    });

    it('a key in flight for a process whose heartbeat stopped is taken over at once; a live owner’s is respected', async () => {
      const { id } = await funded();
      const k = `crashed-${randomUUID()}`;
      const body = { title: 'Keys sent' };
      const hash = requestHash('POST', '/api/escrow/:id/mark-delivered', { id }, body);
      const commandId = keyedCommandId(SELLER, k);
      // another API process took the key (its heartbeat is fresh) and is still working on it
      const owner = randomUUID();
      await s.testDb.db.query(
        `INSERT INTO process_heartbeats (instance_id, role, host, pid, version, started_at, last_seen)
         VALUES ($1, 'api', 'replica-2', 4242, 'test', now(), now())`,
        [owner],
      );
      const lockMs = LOCK_SECONDS * 1000;
      const claim = await store.claim(commandId, hash, s.clock.now(), lockMs, TTL_HOURS * 3_600_000, owner);
      assert.equal(claim.kind, 'claimed');
      const busy = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      expectProblem(busy, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');

      // it crashes: no beat for longer than HEARTBEAT_STALE_SECONDS; its lock still has 30 s (the clock stays)
      await s.testDb.db.query(
        `UPDATE process_heartbeats SET last_seen = now() - interval '1 minute' WHERE instance_id = $1`,
        [owner],
      );
      const retried = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(retried.status, 200, retried.text);
      assert.equal(retried.body.status, 'DELIVERED');
      const again = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(again.text, retried.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      await assertEscrowInvariants(s.engine, id);
    });

    it('a dead request’s claim taken over by another body: 422, and the first request still gets its own answer', async () => {
      const { id } = await funded();
      const k = `dead-${randomUUID()}`;
      const body = { title: 'first' };
      const first = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(first.status, 200, first.text);
      // as if the process died after the commit and before storing the answer: the claim is left in flight, expired
      const cid = keyedCommandId(SELLER, k);
      const hash = requestHash('POST', '/api/escrow/:id/mark-delivered', { id }, body);
      if (redis) {
        await redis.set(
          `escrow-idem:${cid}`,
          JSON.stringify({ hash, lockedUntil: 0, expiresAt: Date.now() + 3_600_000 }),
        );
      } else {
        await s.testDb.db.query(
          `UPDATE idempotency_keys SET status = NULL, body = NULL, content_type = NULL,
                  locked_until = $2::timestamptz - interval '1 second' WHERE id = $1`,
          [cid, s.clock.now()],
        );
      }
      const other = await act(id, 'mark-delivered', seller, { title: 'second' }, { 'idempotency-key': k });
      expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
      const again = await act(id, 'mark-delivered', seller, body, { 'idempotency-key': k });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.text, first.text);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(await events(id), ['EscrowCreated', 'EscrowFundsHeld', 'EscrowDelivered']);
      await assertEscrowInvariants(s.engine, id);
    });

    it('expired responses are collected: deleted by the prune (PostgreSQL) or expiring in Redis', async () => {
      const k = key('expiring');
      const res = await create(buyer, escrowInput(), k);
      assert.equal(res.status, 201, res.text);
      touched.add(res.body.id);
      const id = keyedCommandId(BUYER, k['idempotency-key']);
      if (redis) {
        const ttl = await redis.pttl(`escrow-idem:${id}`);
        assert.ok(ttl > 0 && ttl <= TTL_HOURS * 3_600_000, `Redis expires the record (pttl ${ttl})`);
        return;
      }
      const live = async () =>
        (await s.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys WHERE id = $1', [id]))
          .rows[0]!.n;
      await store.prune(s.clock.now()); // earlier cases moved the clock past other keys' TTL
      assert.equal(await live(), 1, 'a live record survives the prune');
      const later = new Date(s.clock.now().getTime() + (TTL_HOURS + 1) * 3_600_000);
      assert.ok((await store.prune(later)) >= 1);
      assert.equal(await live(), 0);
    });
  });
}
