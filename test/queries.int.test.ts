import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../src/domain/index.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  fundedEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';

const code = (c: string) => (err: unknown) => err instanceof DomainError && err.code === c;

for (const kind of engineKinds()) {
  describe(`queries on ${kind}`, () => {
    let t: TestEngine;
    const mine: string[] = [];
    before(async () => {
      t = await testEngine(kind);
      // 7 escrows between buyer-1 and seller-1 a minute apart, 2 between other users
      for (let i = 0; i < 7; i++) {
        t.clock.advance(60_000);
        mine.push((await t.engine.service.create(actors.buyer, escrowInput({ amount: `${1000 + i}00` }))).escrow.id);
      }
      for (let i = 0; i < 2; i++) {
        t.clock.advance(60_000);
        await t.engine.service.create(actors.service, escrowInput({ buyerId: `other-b${i}`, sellerId: `other-s${i}` }));
      }
      await t.engine.simulator.pay(mine[0]!);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    it('get returns the escrow with its events, ledger and (for admins) audit', async () => {
      const id = mine[0]!;
      const d = await t.engine.queries.get(actors.buyer, id, ['events', 'ledger']);
      assert.equal(d.escrow.status, 'FUNDS_HELD');
      assert.deepEqual(
        d.events?.map((e) => [e.sequence, e.type]),
        [
          [1, 'EscrowCreated'],
          [2, 'EscrowFundsHeld'],
        ],
      );
      assert.equal(d.ledger?.length, 2);
      assert.equal(d.audit, undefined);
      await assert.rejects(t.engine.queries.get(actors.seller, id, ['audit']), code('FORBIDDEN'));
      const admin = await t.engine.queries.get(actors.admin, id, ['audit']);
      assert.deepEqual(
        admin.audit?.map((a) => a.action),
        ['CreateEscrow', 'ReceivePayment'],
      );
    });

    it('a user who is not a party gets ESCROW_NOT_FOUND, like for an escrow that does not exist', async () => {
      await assert.rejects(t.engine.queries.get(actors.stranger, mine[0]!), code('ESCROW_NOT_FOUND'));
      await assert.rejects(
        t.engine.queries.get(actors.admin, '0190f0c8-0000-7000-8000-0000000000ff'),
        code('ESCROW_NOT_FOUND'),
      );
      await assert.rejects(t.engine.queries.get(actors.admin, 'not-a-uuid'), code('ESCROW_NOT_FOUND'));
    });

    it('list pages newest first with a cursor and shows users only their own escrows', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof t.engine.queries.list>> = await t.engine.queries.list(
          actors.buyer,
          {},
          3,
          cursor,
        );
        seen.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      assert.equal(pages, 3);
      assert.deepEqual(seen, [...mine].reverse());
      assert.equal((await t.engine.queries.list(actors.stranger, {})).data.length, 0);
      assert.equal((await t.engine.queries.list(actors.admin, {}, 50)).data.length, 9);
    });

    it('list filters by status, party, rail and creation time', async () => {
      const svc = t.engine.queries;
      assert.deepEqual(
        (await svc.list(actors.admin, { status: 'FUNDS_HELD' })).data.map((e) => e.id),
        [mine[0]],
      );
      assert.equal((await svc.list(actors.admin, { buyerId: 'other-b1' })).data.length, 1);
      assert.equal((await svc.list(actors.admin, { sellerId: actors.seller.id })).data.length, 7);
      assert.equal((await svc.list(actors.admin, { rail: 'SANDBOX' }, 50)).data.length, 9);
      const third = (await t.engine.readModel.getEscrow(mine[2]!))!.createdAt;
      const fifth = (await t.engine.readModel.getEscrow(mine[4]!))!.createdAt;
      assert.deepEqual(
        (await svc.list(actors.admin, { createdFrom: third, createdTo: fifth })).data.map((e) => e.id),
        [mine[3], mine[2]],
      );
    });

    it('rejects a bad limit or a forged cursor', async () => {
      await assert.rejects(t.engine.queries.list(actors.admin, {}, 51), code('VALIDATION_ERROR'));
      await assert.rejects(t.engine.queries.list(actors.admin, {}, 0), code('VALIDATION_ERROR'));
      await assert.rejects(t.engine.queries.list(actors.admin, {}, 10, 'bm90IGEgY3Vyc29y'), code('VALIDATION_ERROR'));
    });

    it('the roles process work on their own once started', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      await engine.start(['settlements', 'timeouts', 'outbox']);
      try {
        await engine.service.execute('MarkDelivered', id, actors.seller, { title: 'done' });
        await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
        const deadline = Date.now() + 10_000;
        for (;;) {
          const e = await engine.readModel.getEscrow(id);
          const outbox = await engine.stores.outbox.stats();
          if (e?.settlements[0]?.status === 'SUCCEEDED' && outbox.unpublished === 0) break;
          assert.ok(Date.now() < deadline, 'settlement and outbox done within 10 s');
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await engine.stop();
      }
    });
  });
}
