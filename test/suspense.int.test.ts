import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../src/domain/index.js';
import type { Engine } from '../src/main.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  escrowInput,
  fundedEscrow,
  tableCounts,
  testEngine,
  type TestEngine,
} from './harness.js';

// Money outside the ledger (issue 10 §5): every payment that funds nothing is booked to suspense and leaves it only
// by an audited refund to the buyer or by being applied to its escrow.

const rejects = (code: string) => (err: unknown) => {
  assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
  assert.equal(err.code, code);
  return true;
};

/** The balance of an account per currency over the whole ledger (digit strings). */
async function balances(engine: Engine, account: string): Promise<Record<string, string>> {
  const { rows } = await engine.db.query<{ currency: string; total: string }>(
    `SELECT currency, sum(amount)::text AS total FROM ledger_postings WHERE account_id = $1 GROUP BY currency`,
    [account],
  );
  return Object.fromEntries(rows.filter((r) => r.total !== '0').map((r) => [r.currency, r.total]));
}

const types = async (engine: Engine, id: string) => (await engine.readModel.events(id)).map((e) => e.type);

for (const kind of engineKinds()) {
  describe(`money in suspense on ${kind}`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind);
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    const openSuspense = async (escrowId: string) =>
      (await t.engine.queries.suspense(actors.admin, { escrowId, status: 'OPEN' })).data;

    it('a manual confirm with a short amount is a mismatch: booked to suspense, the escrow not funded', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '5000' }));
      const id = c.escrow.id;
      const out = await engine.service.execute('ConfirmPayment', id, actors.admin, {
        transactionId: 'wire-short-1',
        evidence: 'statement line 3',
        amount: '4000',
        currency: 'USD',
      });
      assert.equal(out.escrow.status, 'AWAIT_FUNDS');
      assert.equal(out.escrow.fundedAmount, 0n);
      assert.equal(out.escrow.flaggedForReview, true);
      assert.deepEqual((await types(engine, id)).slice(1), ['PaymentMismatchRecorded', 'SuspenseBooked']);
      const [item] = await openSuspense(id);
      assert.ok(item);
      assert.deepEqual(
        { amount: item.amount, currency: item.currency, tx: item.transactionId, status: item.status },
        { amount: 4000n, currency: 'USD', tx: 'wire-short-1', status: 'OPEN' },
      );
      assert.equal(item.escrowStatus, 'AWAIT_FUNDS');
      assert.ok(item.receivedAt);
      assert.equal((await engine.readModel.ledger(id)).filter((p) => p.account === 'platform:suspense').length, 1);
      await assertEscrowInvariants(engine, id);
    });

    it('a manual confirm needs the amount and currency received (nothing written without them)', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput());
      const before = await tableCounts(engine.db);
      await assert.rejects(
        engine.service.execute('ConfirmPayment', c.escrow.id, actors.admin, {
          transactionId: 'wire-2',
          evidence: 'statement',
        } as never),
        rejects('VALIDATION_ERROR'),
      );
      const after = await tableCounts(engine.db);
      // a refusal leaves only its own record (the command's outcome and an audit row of the refusal)
      const unchanged = (c: Record<string, number>) => ({ ...c, processed_commands: 0, audit_logs: 0 });
      assert.deepEqual(unchanged(after), unchanged(before));
      const matched = await engine.service.execute('ConfirmPayment', c.escrow.id, actors.admin, {
        transactionId: 'wire-2',
        evidence: 'statement',
        amount: '10000',
        currency: 'USD',
      });
      assert.equal(matched.escrow.status, 'FUNDS_HELD');
      assert.equal(matched.escrow.fundedAmount, 10000n);
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    it('a payment webhook after CANCELLED is booked to suspense and flagged', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput());
      await engine.service.execute('CancelEscrow', c.escrow.id, actors.buyer, {});
      const late = await engine.simulator.pay(c.escrow.id);
      assert.equal(late.outcome.status, 'processed');
      const e = await engine.readModel.getEscrow(c.escrow.id);
      assert.equal(e?.status, 'CANCELLED');
      assert.equal(e?.flaggedForReview, true);
      assert.deepEqual((await types(engine, c.escrow.id)).slice(-2), ['SuspenseBooked', 'EscrowFlaggedForReview']);
      const [item] = await openSuspense(c.escrow.id);
      assert.equal(item?.amount, 10000n);
      assert.equal(item?.reason, 'ESCROW_CANCELLED');
      assert.equal(item?.escrowStatus, 'CANCELLED');
      // the provider's redelivery of the same transaction under another event id books nothing more
      const again = JSON.stringify({
        id: 'evt-again',
        type: 'payment.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: {
          reference: c.escrow.payment.reference,
          transactionId: item.transactionId,
          amount: '10000',
          currency: 'USD',
        },
      });
      const redelivered = await engine.webhooks.receive('sandbox', again, {
        'x-sandbox-signature': engine.sandbox.sign(again),
      });
      assert.equal(redelivered.status, 'processed');
      assert.equal((await openSuspense(c.escrow.id)).length, 1);
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    it('a payment after the escrow expired is booked to suspense as ESCROW_EXPIRED, and refunded', async () => {
      const { engine, clock } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '1200' }));
      clock.advanceDays(8);
      await engine.timeouts.runOnce();
      assert.equal((await engine.readModel.getEscrow(c.escrow.id))?.cancelReason, 'TIMEOUT');
      await engine.simulator.pay(c.escrow.id);
      const [item] = await openSuspense(c.escrow.id);
      assert.equal(item?.reason, 'ESCROW_EXPIRED');
      await engine.service.execute('RefundSuspense', c.escrow.id, actors.admin, {
        suspenseId: item.id,
        reason: 'Paid after the deadline',
      });
      await engine.settlementWorker.runOnce();
      assert.equal((await openSuspense(c.escrow.id)).length, 0);
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    it('a second payment from another transaction on a funded escrow is booked to suspense', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      await engine.simulator.pay(id);
      const e = await engine.readModel.getEscrow(id);
      assert.equal(e?.status, 'FUNDS_HELD');
      assert.equal(e?.fundedAmount, 10000n);
      const [item] = await openSuspense(id);
      assert.equal(item?.reason, 'DUPLICATE_PAYMENT');
      await assertEscrowInvariants(engine, id);
    });

    it('a refund from suspense goes back to the buyer through the rail, audited; suspense returns to zero', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '7000' }));
      const id = c.escrow.id;
      const suspenseBefore = await balances(engine, 'platform:suspense');
      await engine.simulator.pay(id, { amount: '6999', currency: 'EUR' });
      const [item] = await openSuspense(id);
      assert.ok(item);
      assert.equal(item.currency, 'EUR');
      await assert.rejects(
        engine.service.execute('RefundSuspense', id, actors.admin, { suspenseId: item.id } as never),
        rejects('VALIDATION_ERROR'),
      );
      await assert.rejects(
        engine.service.execute('RefundSuspense', id, actors.buyer, { suspenseId: item.id, reason: 'mine' }),
        rejects('FORBIDDEN'),
      );
      const out = await engine.service.execute('RefundSuspense', id, actors.admin, {
        suspenseId: item.id,
        reason: 'Buyer paid in the wrong currency',
      });
      assert.equal(out.escrow.status, 'AWAIT_FUNDS');
      const refund = out.escrow.settlements.find((s) => s.kind === 'REFUND');
      assert.deepEqual(
        { amount: refund?.amount, currency: refund?.currency, to: refund?.beneficiaryId },
        { amount: 6999n, currency: 'EUR', to: actors.buyer.id },
      );
      const summary = await engine.settlementWorker.runOnce();
      assert.equal(summary.succeeded >= 1, true);
      const settled = await engine.readModel.getEscrow(id);
      assert.equal(settled?.settlements.find((s) => s.id === refund?.id)?.status, 'SUCCEEDED');
      assert.deepEqual(await balances(engine, 'platform:suspense'), suspenseBefore);
      assert.deepEqual(await balances(engine, `escrow:${id}:buyer_refundable`), {});
      assert.equal((await openSuspense(id)).length, 0);
      const resolved = (await engine.queries.suspense(actors.admin, { escrowId: id })).data[0];
      assert.equal(resolved?.status, 'REFUNDED');
      assert.equal(resolved?.resolutionReason, 'Buyer paid in the wrong currency');
      const audit = await engine.readModel.audit(id);
      const row = audit.find((a) => a.action === 'RefundSuspense' && !('refused' in a.details));
      assert.equal(row?.actorId, actors.admin.id);
      assert.match(JSON.stringify(row?.details), /wrong currency/);
      await assertEscrowInvariants(engine, id);
    });

    it('suspense applied to its escrow funds it when the amounts add up (the buyer topped up)', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '9000' }));
      const id = c.escrow.id;
      await engine.simulator.pay(id, { amount: '6000' });
      await engine.simulator.pay(id, { amount: '3000' });
      const items = await openSuspense(id);
      assert.equal(items.length, 2);
      await assert.rejects(
        engine.service.execute('ApplySuspense', id, actors.admin, {
          suspenseIds: [items[0]!.id],
          reason: 'one part only',
        }),
        rejects('VALIDATION_ERROR'),
      );
      const out = await engine.service.execute('ApplySuspense', id, actors.admin, {
        suspenseIds: items.map((i) => i.id),
        reason: 'Buyer topped up; both transfers confirmed',
      });
      assert.equal(out.escrow.status, 'FUNDS_HELD');
      assert.equal(out.escrow.fundedAmount, 9000n);
      assert.deepEqual(await balances(engine, `escrow:${id}:holding`), { USD: '9000' });
      assert.equal((await openSuspense(id)).length, 0);
      assert.ok((await engine.readModel.audit(id)).some((a) => a.action === 'ApplySuspense'));
      await assertEscrowInvariants(engine, id);
    });

    it('an item is resolved once: a second refund or an apply after a refund is refused', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '3000' }));
      const id = c.escrow.id;
      await engine.simulator.pay(id, { amount: '3001' });
      const [item] = await openSuspense(id);
      assert.ok(item);
      await engine.service.execute('RefundSuspense', id, actors.admin, { suspenseId: item.id, reason: 'overpaid' });
      await assert.rejects(
        engine.service.execute('RefundSuspense', id, actors.admin, { suspenseId: item.id, reason: 'again' }),
        rejects('INVALID_STATE_TRANSITION'),
      );
      await assert.rejects(
        engine.service.execute('ApplySuspense', id, actors.admin, { suspenseIds: [item.id], reason: 'apply it' }),
        rejects('INVALID_STATE_TRANSITION'),
      );
      await assert.rejects(
        engine.service.execute('RefundSuspense', id, actors.admin, {
          suspenseId: '0190f0c8-0000-7000-8000-00000000dead',
          reason: 'no such item',
        }),
        rejects('VALIDATION_ERROR'),
      );
      await engine.settlementWorker.runOnce();
      await assertEscrowInvariants(engine, id);
    });

    it('applying to an escrow that is no longer awaiting funds is refused', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      await engine.simulator.pay(id);
      const [item] = await openSuspense(id);
      await assert.rejects(
        engine.service.execute('ApplySuspense', id, actors.admin, { suspenseIds: [item!.id], reason: 'x' }),
        rejects('INVALID_STATE_TRANSITION'),
      );
      await assertEscrowInvariants(engine, id);
    });

    it('flagged escrows are listed for admins only and cleared by an admin with a reason', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '4200' }));
      const id = c.escrow.id;
      await engine.simulator.pay(id, { amount: '42' });
      const flagged = await engine.queries.list(actors.admin, { flagged: true }, 50);
      assert.ok(flagged.data.some((e) => e.id === id));
      assert.ok(flagged.data.every((e) => e.flaggedForReview));
      await assert.rejects(engine.queries.list(actors.buyer, { flagged: true }, 50), rejects('FORBIDDEN'));
      await assert.rejects(
        engine.service.execute('ClearReviewFlag', id, actors.admin, {} as never),
        rejects('VALIDATION_ERROR'),
      );
      const cleared = await engine.service.execute('ClearReviewFlag', id, actors.admin, {
        reason: 'Spoke to the buyer; refund of the stray payment follows',
      });
      assert.equal(cleared.escrow.flaggedForReview, false);
      assert.equal((await types(engine, id)).at(-1), 'ReviewFlagCleared');
      assert.ok((await engine.readModel.audit(id)).some((a) => a.action === 'ClearReviewFlag'));
      const after = await engine.queries.list(actors.admin, { flagged: true }, 50);
      assert.ok(!after.data.some((e) => e.id === id));
      await assert.rejects(
        engine.service.execute('ClearReviewFlag', id, actors.admin, { reason: 'again' }),
        rejects('INVALID_STATE_TRANSITION'),
      );
      await assertEscrowInvariants(engine, id);
    });
  });
}
