import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import type { SandboxRail } from '../src/adapters/rails/sandbox/sandboxRail.js';
import type { HandledCommand } from '../src/app/ports/index.js';
import { newId } from '../src/app/ids.js';
import { DomainError, type Actor, type CommandType } from '../src/domain/index.js';
import type { Engine } from '../src/main.js';
import type { TimeoutRunSummary } from '../src/app/ports/index.js';
import type { SettlementRunSummary } from '../src/workers/settlementWorker.js';
import { SqlTimeoutStore } from '../src/adapters/db/timeoutStore.js';
import { suite } from './services.js';
import {
  FakeClock,
  actors,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  deliveredEscrow,
  escrowInput,
  freshDatabase,
  fundedEscrow,
  testEngine,
  type TestDb,
  type TestEngine,
} from './harness.js';

// Row locks, SKIP LOCKED and several pools only exist on a real server; PGlite is one serialised connection.

type AnyCommand = Exclude<CommandType, 'CreateEscrow'>;
interface Submission {
  type: AnyCommand;
  actor: Actor;
  payload: Record<string, unknown>;
}

const count = async (db: Database, sql: string, params: unknown[]): Promise<number> => {
  const { rows } = await db.query<{ n: number }>(sql, params);
  return rows[0]!.n;
};
const processedCommands = (db: Database, escrowId: string) =>
  count(db, 'SELECT count(*)::int AS n FROM processed_commands WHERE escrow_id = $1', [escrowId]);
const outboxRows = (db: Database, escrowId: string) =>
  count(db, 'SELECT count(*)::int AS n FROM outbox WHERE escrow_id = $1', [escrowId]);

const eventsOfType = async (engine: Engine, escrowId: string, type: string) =>
  (await engine.readModel.events(escrowId)).filter((e) => e.type === type);

/** Submits every command at once, each with its own command id. */
function fireAll(engine: Engine, escrowId: string, subs: Submission[]) {
  return Promise.allSettled(
    subs.map((s) =>
      engine.service.execute(s.type, escrowId, s.actor, s.payload as never, { commandId: newId() }).then(
        (out) => ({ sub: s, out }),
        (err: unknown) => Promise.reject(Object.assign(new Error('rejected'), { sub: s, cause: err })),
      ),
    ),
  );
}

/**
 * Races `subs` on one escrow and asserts that exactly one was applied, that every other was refused with a
 * conflict code (never a 500, never a second effect), and that the row, the events, the processed commands and
 * the outbox agree.
 */
async function assertOneWinner(
  t: TestEngine,
  escrowId: string,
  subs: Submission[],
  extraLoserCodes: (winner: Submission, loser: Submission) => string[] = () => [],
): Promise<HandledCommand> {
  const { engine, db } = t;
  const before = await engine.readModel.getEscrow(escrowId);
  assert.ok(before);
  const commandsBefore = await processedCommands(db, escrowId);

  const settled = await fireAll(engine, escrowId, subs);
  const fulfilled = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  assert.equal(fulfilled.length, 1, `exactly one of ${subs.length} conflicting commands applies`);
  const winner = fulfilled[0]!;
  assert.equal(winner.out.duplicate, false);
  assert.equal(winner.out.result.fromStatus, before.status);

  for (const s of settled) {
    if (s.status === 'fulfilled') continue;
    const { sub, cause } = s.reason as { sub: Submission; cause: unknown };
    assert.ok(cause instanceof DomainError, `${sub.type} failed with a DomainError, got ${String(cause)}`);
    const allowed = ['INVALID_STATE_TRANSITION', 'VERSION_CONFLICT', ...extraLoserCodes(winner.sub, sub)];
    assert.ok(allowed.includes(cause.code), `${sub.type} after ${winner.sub.type} failed with ${cause.code}`);
  }

  const after = await engine.readModel.getEscrow(escrowId);
  const events = await engine.readModel.events(escrowId);
  assert.ok(after);
  assert.equal(after.status, winner.out.result.toStatus);
  assert.equal(after.version, before.version + winner.out.result.eventIds.length);
  assert.equal(after.version, events.length, 'version = number of events');
  assert.equal(after.version, winner.out.result.version);
  assert.deepEqual(
    events.slice(before.version).map((e) => e.eventId),
    winner.out.result.eventIds,
    'only the winner appended events',
  );
  assert.equal(await processedCommands(db, escrowId), commandsBefore + 1, 'one more processed command');
  assert.equal(await outboxRows(db, escrowId), events.length, 'one outbox row per event');
  await assertEscrowInvariants(engine, escrowId);
  return winner.out;
}

/** Verifies the whole database, then closes the engines and drops the schema even when verification fails. */
async function teardown(testDb: TestDb | undefined, ...engines: (TestEngine | undefined)[]): Promise<void> {
  try {
    if (engines[0]) await assertDatabaseVerifies(engines[0].engine);
  } finally {
    for (const e of engines) await e?.close();
    await testDb?.drop();
  }
}

suite('concurrency on PostgreSQL', ['postgres'], () => {
  describe('conflicting commands on one escrow', () => {
    let testDb: TestDb;
    let t: TestEngine;
    before(async () => {
      testDb = await freshDatabase('postgres', 20);
      t = await testEngine('postgres', {}, { db: testDb.db, clock: new FakeClock() });
    });
    after(() => teardown(testDb, t));

    it('50 commands wanting different transitions out of AWAIT_FUNDS: exactly one applies', async () => {
      const { engine, db } = t;
      const created = await engine.service.create(actors.buyer, escrowInput());
      const id = created.escrow.id;
      const cancellers = [actors.buyer, actors.seller, actors.admin];
      const subs: Submission[] = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? {
              type: 'ConfirmPayment',
              actor: actors.admin,
              payload: {
                transactionId: `wire-${i}`,
                evidence: `bank statement line ${i}`,
                amount: '10000',
                currency: 'USD',
              },
            }
          : { type: 'CancelEscrow', actor: cancellers[i % 3]!, payload: { reason: `attempt ${i}` } },
      );
      const won = await assertOneWinner(t, id, subs);
      assert.ok(['FUNDS_HELD', 'CANCELLED'].includes(won.escrow.status));
      assert.equal((await engine.readModel.getEscrow(id))?.version, 2);
      assert.equal((await engine.readModel.events(id)).length, 2);
      assert.equal(await processedCommands(db, id), 2);
    });

    it('50 commands wanting different transitions out of FUNDS_HELD: exactly one applies', async () => {
      const id = await fundedEscrow(t.engine);
      // From FUNDS_HELD these exclude each other: REFUNDED is terminal and DISPUTED accepts neither a refund nor a
      // delivery. (MarkDelivered is left out: DELIVERED still accepts a refund or a dispute; see the next test.)
      const subs: Submission[] = Array.from({ length: 50 }, (_, i): Submission => {
        switch (i % 4) {
          case 0:
            return {
              type: 'RefundEscrow',
              actor: actors.admin,
              payload: { refundAmount: String(1000 + i), reason: `partial ${i}` },
            };
          case 1:
            return { type: 'RefundEscrow', actor: actors.seller, payload: { reason: `voluntary ${i}` } };
          case 2:
            return { type: 'OpenDispute', actor: actors.buyer, payload: { reason: `not as described ${i}` } };
          default:
            return { type: 'OpenDispute', actor: actors.seller, payload: { reason: `buyer unreachable ${i}` } };
        }
      });
      // A dispute opened first turns a later dispute into DISPUTE_ALREADY_OPEN (checked before the state).
      const won = await assertOneWinner(t, id, subs, (w, l) =>
        w.type === 'OpenDispute' && l.type === 'OpenDispute' ? ['DISPUTE_ALREADY_OPEN'] : [],
      );
      assert.ok(['REFUNDED', 'DISPUTED'].includes(won.escrow.status));
      assert.equal((await t.engine.readModel.getEscrow(id))?.version, 3);
      assert.equal(await processedCommands(t.db, id), 3);
    });

    it('50 commands wanting different transitions out of DELIVERED: exactly one applies', async () => {
      const id = await deliveredEscrow(t.engine);
      const subs: Submission[] = Array.from({ length: 50 }, (_, i): Submission => {
        switch (i % 5) {
          case 0:
            return { type: 'ConfirmDelivery', actor: actors.buyer, payload: {} };
          case 1:
            return { type: 'ReleaseEscrow', actor: actors.admin, payload: { reason: `ops release ${i}` } };
          case 2:
            return { type: 'RefundEscrow', actor: actors.admin, payload: { reason: `ops refund ${i}` } };
          case 3:
            return { type: 'RefundEscrow', actor: actors.seller, payload: { reason: `seller refund ${i}` } };
          default:
            return { type: 'OpenDispute', actor: actors.buyer, payload: { reason: `broken ${i}` } };
        }
      });
      const won = await assertOneWinner(t, id, subs, (w, l) =>
        w.type === 'OpenDispute' && l.type === 'OpenDispute' ? ['DISPUTE_ALREADY_OPEN'] : [],
      );
      assert.ok(['RELEASED', 'REFUNDED', 'DISPUTED'].includes(won.escrow.status));
      const settlements = won.escrow.settlements.length;
      assert.equal(settlements, won.escrow.status === 'DISPUTED' ? 0 : 1, 'one settlement from the one decision');
    });

    it('MarkDelivered racing refunds and disputes out of FUNDS_HELD: the applied commands form one serial history', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      const subs: Submission[] = Array.from({ length: 30 }, (_, i): Submission => {
        switch (i % 3) {
          case 0:
            return { type: 'MarkDelivered', actor: actors.seller, payload: { title: `parcel ${i}` } };
          case 1:
            return { type: 'RefundEscrow', actor: actors.admin, payload: { reason: `refund ${i}` } };
          default:
            return { type: 'OpenDispute', actor: actors.buyer, payload: { reason: `dispute ${i}` } };
        }
      });
      const settled = await fireAll(engine, id, subs);
      const applied = settled
        .flatMap((s) => (s.status === 'fulfilled' ? [s.value.out.result] : []))
        .sort((a, b) => a.version - b.version);
      // At most: MarkDelivered, then a refund or a dispute.
      assert.ok(applied.length >= 1 && applied.length <= 2, `applied ${applied.map((r) => r.type).join(', ')}`);
      let status = 'FUNDS_HELD';
      let version = 2;
      for (const r of applied) {
        assert.equal(r.fromStatus, status, 'each applied command saw the state the previous one left');
        assert.equal(r.version, version + r.eventIds.length);
        status = r.toStatus;
        version = r.version;
      }
      assert.equal(applied.filter((r) => r.type === 'MarkDelivered').length <= 1, true);
      for (const s of settled) {
        if (s.status === 'fulfilled') continue;
        const { cause } = s.reason as { cause: unknown };
        assert.ok(cause instanceof DomainError, String(cause));
        assert.ok(['INVALID_STATE_TRANSITION', 'VERSION_CONFLICT', 'DISPUTE_ALREADY_OPEN'].includes(cause.code));
      }
      const after = await engine.readModel.getEscrow(id);
      assert.equal(after?.status, status);
      assert.equal(after?.version, version);
      assert.equal((await engine.readModel.events(id)).length, version);
      assert.equal(await processedCommands(t.db, id), 2 + applied.length);
      await assertEscrowInvariants(engine, id);
    });

    it('the same command id 20 times at once: one effect, 20 identical results, 19 flagged duplicates', async () => {
      const { engine, db } = t;
      const created = await engine.service.create(actors.buyer, escrowInput());
      const id = created.escrow.id;
      const commandId = newId();
      const settled = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          engine.service.execute(
            'ConfirmPayment',
            id,
            actors.admin,
            { transactionId: 'wire-once', evidence: 'bank statement', amount: '10000', currency: 'USD' },
            { commandId },
          ),
        ),
      );
      const outs = settled.map((s) => {
        assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
        return s.value;
      });
      assert.equal(outs.filter((o) => !o.duplicate).length, 1, 'one call applied it');
      assert.equal(outs.filter((o) => o.duplicate).length, 19, 'the others are flagged duplicates');
      for (const o of outs) {
        assert.deepEqual(o.result, outs[0]!.result);
        assert.equal(o.escrow.status, 'FUNDS_HELD');
        assert.equal(o.escrow.version, 2);
      }
      const events = await engine.readModel.events(id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['EscrowCreated', 'EscrowFundsHeld'],
      );
      assert.equal(events.filter((e) => e.commandId === commandId).length, 1);
      assert.equal(await processedCommands(db, id), 2);
      assert.equal(await outboxRows(db, id), 2);
      assert.equal(
        await count(db, 'SELECT count(*)::int AS n FROM audit_logs WHERE command_id = $1', [commandId]),
        1,
        'one audit entry',
      );
      await assertEscrowInvariants(engine, id);
    });

    it('the same create command id 20 times at once: one escrow, 19 flagged duplicates', async () => {
      const { engine, db } = t;
      const input = escrowInput();
      const commandId = newId();
      const settled = await Promise.allSettled(
        Array.from({ length: 20 }, () => engine.service.create(actors.buyer, input, { commandId })),
      );
      const outs = settled.map((s) => {
        assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
        return s.value;
      });
      assert.equal(outs.filter((o) => !o.duplicate).length, 1);
      for (const o of outs) assert.deepEqual(o.result, outs[0]!.result);
      const id = outs[0]!.result.escrowId;
      assert.equal(await count(db, 'SELECT count(*)::int AS n FROM escrows WHERE offer_id = $1', [input.offerId]), 1);
      assert.equal((await engine.readModel.events(id)).length, 1);
      assert.equal(await processedCommands(db, id), 1);
      await assertEscrowInvariants(engine, id);
    });
  });

  describe('two timeout processors racing (separate pools)', () => {
    let testDb: TestDb;
    let a: TestEngine;
    let b: TestEngine;
    const clock = new FakeClock();
    before(async () => {
      testDb = await freshDatabase('postgres', 10);
      // Small claims (5 of the 44 settlements each), so every claimer of both engines gets a share.
      const env = { ESCROW_SETTLEMENT_BATCH_SIZE: '5' };
      a = await testEngine('postgres', env, { db: testDb.db, clock });
      b = await testEngine('postgres', env, { db: await testDb.openAnother(10), clock });
    });
    after(() => teardown(testDb, a, b));

    /**
     * Runs both processors at once, `rounds` times; returns every summary. A barrier after the due-list queries makes
     * the race real every time: both processors have read the same due escrows before either submits a command.
     */
    async function race(rounds: number): Promise<TimeoutRunSummary[]> {
      const out: TimeoutRunSummary[] = [];
      const proto = SqlTimeoutStore.prototype;
      // eslint-disable-next-line @typescript-eslint/unbound-method -- restored below and always called with .call(this)
      const original = proto.dueConfirmationDeadlines;
      try {
        for (let r = 0; r < rounds; r++) {
          let arrived = 0;
          let open!: () => void;
          const barrier = new Promise<void>((resolve) => (open = resolve));
          proto.dueConfirmationDeadlines = async function (this: SqlTimeoutStore, now: Date, limit: number) {
            const due = await original.call(this, now, limit);
            if (++arrived === 2) open();
            await barrier;
            return due;
          };
          out.push(...(await Promise.all([a.engine.timeouts.runOnce(), b.engine.timeouts.runOnce()])));
        }
      } finally {
        proto.dueConfirmationDeadlines = original;
      }
      return out;
    }
    const total = (s: TimeoutRunSummary[], k: 'expired' | 'deliveryTimeouts' | 'skipped') =>
      s.reduce((n, x) => n + x[k], 0);

    it('every due escrow gets its timeout exactly once, across rounds', async () => {
      const { engine } = a;
      const awaiting: string[] = [];
      const deliveredEarly: string[] = [];
      const fundedOnly: string[] = [];
      const cancelled: string[] = [];
      for (let i = 0; i < 10; i++) awaiting.push((await engine.service.create(actors.buyer, escrowInput())).escrow.id);
      for (let i = 0; i < 8; i++) deliveredEarly.push(await deliveredEscrow(engine));
      for (let i = 0; i < 5; i++) fundedOnly.push(await fundedEscrow(engine));
      for (let i = 0; i < 3; i++) {
        const c = await engine.service.create(actors.seller, escrowInput());
        await engine.service.execute('CancelEscrow', c.escrow.id, actors.seller, {});
        cancelled.push(c.escrow.id);
      }
      clock.advanceDays(3);
      const deliveredLate: string[] = [];
      for (let i = 0; i < 4; i++) deliveredLate.push(await deliveredEscrow(engine));

      // Day 8: payment deadlines (day 7) and the early deliveries' confirmation deadlines (day 7) are due.
      clock.advanceDays(5);
      const phase1 = await race(3);
      assert.equal(total(phase1, 'expired'), awaiting.length, 'each payment deadline applied once');
      assert.equal(total(phase1, 'deliveryTimeouts'), deliveredEarly.length, 'each confirmation deadline once');
      assert.equal(
        phase1.slice(2).reduce((n, s) => n + s.due.length, 0),
        0,
        'later rounds find nothing due',
      );
      assert.ok(
        total(phase1, 'skipped') > 0,
        'the processors overlapped: one found an escrow the other had just handled',
      );

      // Day 11: the late deliveries' confirmation deadlines (day 10) are due.
      clock.advanceDays(3);
      const phase2 = await race(2);
      assert.equal(total(phase2, 'expired'), 0);
      assert.equal(total(phase2, 'deliveryTimeouts'), deliveredLate.length);

      for (const id of awaiting) {
        const cancels = await eventsOfType(engine, id, 'EscrowCancelled');
        assert.equal(cancels.length, 1, `escrow ${id} expired once`);
        assert.equal((cancels[0]?.data as { reason: string }).reason, 'TIMEOUT');
        assert.equal((await engine.readModel.getEscrow(id))?.status, 'CANCELLED');
      }
      for (const id of [...deliveredEarly, ...deliveredLate]) {
        const refunds = await eventsOfType(engine, id, 'EscrowRefunded');
        assert.equal(refunds.length, 1, `escrow ${id} refunded once`);
        assert.equal((refunds[0]?.data as { trigger: string }).trigger, 'TIMEOUT');
        const e = await engine.readModel.getEscrow(id);
        assert.equal(e?.status, 'REFUNDED');
        assert.equal(e?.settlements.length, 1, 'one refund settlement');
      }
      for (const id of fundedOnly) assert.equal((await engine.readModel.getEscrow(id))?.status, 'FUNDS_HELD');
      for (const id of cancelled) {
        assert.equal((await eventsOfType(engine, id, 'EscrowCancelled')).length, 1);
        assert.equal((await engine.readModel.getEscrow(id))?.cancelReason, 'SELLER_CANCELLED');
      }
      for (const id of [...awaiting, ...deliveredEarly, ...deliveredLate, ...fundedOnly, ...cancelled]) {
        await assertEscrowInvariants(engine, id);
      }
      const left = await a.engine.timeouts.runOnce({ dryRun: true });
      assert.deepEqual(left.due, []);
    });
  });

  describe('two settlement workers racing (separate pools)', () => {
    let testDb: TestDb;
    let a: TestEngine;
    let b: TestEngine;
    const clock = new FakeClock();
    /** Calls to the provider, per settlement id and outcome. */
    const calls: { id: string; ok: boolean }[] = [];
    const spy = (rail: SandboxRail) => {
      const execute = rail.executeSettlement.bind(rail);
      rail.executeSettlement = async (order) => {
        const outcome = await execute(order);
        calls.push({ id: order.settlementId, ok: outcome.status === 'SUCCEEDED' });
        return outcome;
      };
    };
    before(async () => {
      testDb = await freshDatabase('postgres', 10);
      // Small claims (5 of the 44 settlements each), so every claimer of both engines gets a share.
      const env = { ESCROW_SETTLEMENT_BATCH_SIZE: '5' };
      a = await testEngine('postgres', env, { db: testDb.db, clock });
      b = await testEngine('postgres', env, { db: await testDb.openAnother(10), clock });
      spy(a.engine.sandbox);
      spy(b.engine.sandbox);
    });
    after(() => teardown(testDb, a, b));

    it('every due settlement is executed and recorded once', async () => {
      const { engine } = a;
      const escrows: string[] = [];
      // Payouts, partial refunds (a payout and a refund on one escrow, recorded concurrently), and payouts of a
      // magic amount that the sandbox declines once (retried after ESCROW_RETRY_DELAY_MS).
      for (let i = 0; i < 16; i++) {
        const id = await deliveredEscrow(engine);
        await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
        escrows.push(id);
      }
      for (let i = 0; i < 12; i++) {
        const id = await fundedEscrow(engine);
        await engine.service.execute('RefundEscrow', id, actors.admin, { refundAmount: '4000', reason: 'partial' });
        escrows.push(id);
      }
      for (let i = 0; i < 4; i++) {
        const id = await deliveredEscrow(engine, { amount: '10014' });
        await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
        escrows.push(id);
      }
      const settlementIds = (await Promise.all(escrows.map((id) => engine.readModel.getEscrow(id)))).flatMap(
        (e) => e?.settlements.map((s) => s.id) ?? [],
      );
      assert.equal(settlementIds.length, 16 + 24 + 4);

      // Two workers per engine, two engines: four claimers on two pools.
      const runs: SettlementRunSummary[] = [];
      for (let round = 0; round < 8; round++) {
        const r = await Promise.all([
          a.engine.settlementWorker.runOnce(),
          b.engine.settlementWorker.runOnce(),
          a.engine.settlementWorker.runOnce(),
          b.engine.settlementWorker.runOnce(),
        ]);
        runs.push(...r);
        if (r.every((x) => x.claimed === 0)) clock.advance(2_000); // let the declined ones come due again
      }
      const sum = (k: keyof SettlementRunSummary) => runs.reduce((n, x) => n + x[k], 0);
      assert.equal(sum('succeeded'), settlementIds.length, 'each settlement succeeded once over all workers');
      assert.equal(sum('retrying'), 4);
      assert.equal(sum('failed'), 0);
      assert.equal(sum('claimed'), settlementIds.length + 4);
      const claimedBy = (i: number) => runs.filter((_, j) => j % 2 === i).reduce((n, x) => n + x.claimed, 0);
      assert.ok(claimedBy(0) > 0 && claimedBy(1) > 0, 'both engines took part');

      for (const sid of settlementIds) {
        assert.equal(calls.filter((c) => c.id === sid && c.ok).length, 1, `settlement ${sid} paid out once`);
      }
      for (const id of escrows) {
        const e = await engine.readModel.getEscrow(id);
        assert.ok(e);
        for (const s of e.settlements) {
          assert.equal(s.status, 'SUCCEEDED');
          const recorded = (await eventsOfType(engine, id, 'SettlementSucceeded')).filter(
            (ev) => (ev.data as { settlementId: string }).settlementId === s.id,
          );
          assert.equal(recorded.length, 1, `settlement ${s.id} recorded once`);
        }
        assert.equal((await eventsOfType(engine, id, 'SettlementFailed')).length, 0);
        await assertEscrowInvariants(engine, id);
      }
    });
  });
});
