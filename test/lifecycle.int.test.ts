import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../src/domain/index.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  assertEscrowInvariants,
  deliveredEscrow,
  escrowInput,
  fundedEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';

const rejects = (code: string) => (err: unknown) => {
  assert.ok(err instanceof DomainError, `expected a DomainError, got ${String(err)}`);
  assert.equal(err.code, code);
  return true;
};

for (const kind of engineKinds()) {
  describe(`escrow lifecycles on ${kind}`, () => {
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

    it('happy path: create → pay → deliver → confirm → settle', async () => {
      const { engine } = t;
      const created = await engine.service.create(actors.buyer, escrowInput({ amount: '25000' }));
      assert.equal(created.escrow.status, 'AWAIT_FUNDS');
      assert.equal(created.escrow.version, 1);
      assert.match(created.escrow.payment.reference, /^sbx_/);
      const id = created.escrow.id;
      await engine.simulator.pay(id);
      await engine.service.execute('MarkDelivered', id, actors.seller, { title: 'Keys sent', evidence: ['msg-1'] });
      const confirmed = await engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
      assert.equal(confirmed.escrow.status, 'RELEASED');
      assert.equal(confirmed.events.map((e) => e.type).join(','), 'DeliveryConfirmed,EscrowReleased');
      const run = await engine.settlementWorker.runOnce();
      assert.equal(run.succeeded, 1);
      const final = await engine.readModel.getEscrow(id);
      assert.equal(final?.settlements[0]?.status, 'SUCCEEDED');
      assert.equal(final?.releasedAmount, 25000n);
      assert.equal(final?.version, 6);
      const ledger = await engine.readModel.ledger(id);
      const balance = (acct: string) => ledger.filter((p) => p.account === acct).reduce((a, p) => a + p.amount, 0n);
      assert.equal(balance(`escrow:${id}:holding`), 0n);
      assert.equal(balance(`escrow:${id}:seller_payable`), 0n);
      assert.equal(balance('external:SANDBOX'), 0n);
      await assertEscrowInvariants(engine, id);
    });

    it('cancel by buyer, by seller and by admin records who cancelled', async () => {
      const { engine } = t;
      for (const [actor, reason] of [
        [actors.buyer, 'BUYER_CANCELLED'],
        [actors.seller, 'SELLER_CANCELLED'],
        [actors.admin, 'ADMIN'],
      ] as const) {
        const c = await engine.service.create(actors.service, escrowInput());
        const out = await engine.service.execute('CancelEscrow', c.escrow.id, actor, { reason: 'changed my mind' });
        assert.equal(out.escrow.status, 'CANCELLED');
        assert.equal(out.escrow.cancelReason, reason);
        await assertEscrowInvariants(engine, c.escrow.id);
      }
    });

    it('expires at the payment deadline through the timeout processor', async () => {
      const { engine, clock } = t;
      const c = await engine.service.create(actors.buyer, escrowInput());
      clock.advanceDays(6);
      assert.equal((await engine.timeouts.runOnce()).expired, 0);
      await assert.rejects(
        engine.service.execute('ExpireEscrow', c.escrow.id, actors.admin, {}),
        rejects('DEADLINE_NOT_REACHED'),
      );
      clock.advanceDays(1.01);
      const dry = await engine.timeouts.runOnce({ dryRun: true });
      assert.ok(dry.due.some((d) => d.escrowId === c.escrow.id));
      assert.equal((await engine.readModel.getEscrow(c.escrow.id))?.status, 'AWAIT_FUNDS', 'dry run changes nothing');
      const run = await engine.timeouts.runOnce();
      assert.ok(run.expired >= 1);
      const e = await engine.readModel.getEscrow(c.escrow.id);
      assert.equal(e?.status, 'CANCELLED');
      assert.equal(e?.cancelReason, 'TIMEOUT');
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    for (const [resolution, expected] of [
      ['RELEASE', { status: 'RELEASED', seller: 10000n, buyer: 0n }],
      ['REFUND', { status: 'REFUNDED', seller: 0n, buyer: 10000n }],
      ['SPLIT', { status: 'REFUNDED', seller: 6000n, buyer: 4000n }],
    ] as const) {
      it(`dispute opened by the buyer, reviewed and resolved with ${resolution}`, async () => {
        const { engine } = t;
        const id = await deliveredEscrow(engine);
        const opened = await engine.service.execute('OpenDispute', id, actors.buyer, {
          reason: 'Not as described',
          evidence: ['photo-1'],
        });
        assert.equal(opened.escrow.status, 'DISPUTED');
        const disputeId = opened.escrow.disputes[0]!.id;
        await assert.rejects(
          engine.service.execute('OpenDispute', id, actors.seller, { reason: 'again' }),
          rejects('DISPUTE_ALREADY_OPEN'),
        );
        await assert.rejects(
          engine.service.execute('ConfirmDelivery', id, actors.buyer, {}),
          rejects('INVALID_STATE_TRANSITION'),
        );
        const reviewed = await engine.service.execute('StartDisputeReview', id, actors.admin, { disputeId });
        assert.equal(reviewed.escrow.disputes[0]!.status, 'IN_REVIEW');
        const resolved = await engine.service.execute('ResolveDispute', id, actors.admin, {
          disputeId,
          resolution,
          reason: 'Evidence reviewed',
          ...(resolution === 'SPLIT' ? { buyerAmount: '4000' } : {}),
        });
        assert.equal(resolved.escrow.status, expected.status);
        assert.equal(resolved.escrow.disputes[0]!.status, 'RESOLVED');
        assert.equal(resolved.escrow.disputes[0]!.resolution, resolution);
        assert.equal(resolved.escrow.releasedAmount, expected.seller);
        assert.equal(resolved.escrow.refundedAmount, expected.buyer);
        if (resolution === 'SPLIT') assert.equal(resolved.escrow.refundType, 'PARTIAL');
        await engine.settlementWorker.runOnce();
        const e = await engine.readModel.getEscrow(id);
        assert.ok(e?.settlements.every((s) => s.status === 'SUCCEEDED'));
        await assertEscrowInvariants(engine, id);
      });
    }

    it('partial refund by an admin splits the fees pro rata (half-even)', async () => {
      const { engine } = t;
      // A service caller may set fees: buyer pays 10000 + 333, seller fee 101.
      const c = await engine.service.create(
        actors.service,
        escrowInput({ amount: '10000', buyerFee: '333', sellerFee: '101' }),
      );
      const id = c.escrow.id;
      const paid = await engine.simulator.pay(id);
      assert.equal(paid.outcome.status, 'processed');
      const out = await engine.service.execute('RefundEscrow', id, actors.admin, {
        refundAmount: '2500',
        reason: 'one item missing',
      });
      // seller share 7500 → seller fee 101 × 7500 / 10000 = 75.75 → 76; seller gets 7424; fees 333 + 76
      assert.equal(out.escrow.status, 'REFUNDED');
      assert.equal(out.escrow.refundType, 'PARTIAL');
      assert.equal(out.escrow.refundedAmount, 2500n);
      assert.equal(out.escrow.releasedAmount, 7424n);
      assert.equal(out.escrow.feeAmount, 409n);
      assert.equal(out.escrow.settlements.length, 2);
      await engine.settlementWorker.runOnce();
      await assertEscrowInvariants(engine, id);
    });

    it('the seller refunds in full, never partially', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      await assert.rejects(
        engine.service.execute('RefundEscrow', id, actors.seller, { refundAmount: '100', reason: 'partial' }),
        rejects('FORBIDDEN'),
      );
      await assert.rejects(
        engine.service.execute('RefundEscrow', id, actors.buyer, { reason: 'me' }),
        rejects('FORBIDDEN'),
      );
      const out = await engine.service.execute('RefundEscrow', id, actors.seller, { reason: 'out of stock' });
      assert.equal(out.escrow.status, 'REFUNDED');
      assert.equal(out.escrow.refundType, 'FULL');
      assert.equal(out.escrow.refundedAmount, 10000n);
      await engine.settlementWorker.runOnce();
      await assertEscrowInvariants(engine, id);
    });

    it('payment mismatch is recorded and flagged, then an admin confirms the payment manually', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '5000' }));
      const id = c.escrow.id;
      const under = await engine.simulator.pay(id, { amount: '4999' });
      assert.equal(under.outcome.status, 'processed');
      let e = await engine.readModel.getEscrow(id);
      assert.equal(e?.status, 'AWAIT_FUNDS');
      assert.equal(e?.flaggedForReview, true);
      const wrongCurrency = await engine.simulator.pay(id, { currency: 'EUR' });
      assert.equal(wrongCurrency.outcome.status, 'processed');
      const events = await engine.readModel.events(id);
      assert.deepEqual(
        events.map((x) => x.type),
        // each mismatched payment is booked to suspense (issue 10 §5)
        ['EscrowCreated', 'PaymentMismatchRecorded', 'SuspenseBooked', 'PaymentMismatchRecorded', 'SuspenseBooked'],
      );
      await assert.rejects(
        engine.service.execute('ConfirmPayment', id, actors.buyer, {
          transactionId: 'tx',
          evidence: 'trust me',
          amount: '5000',
          currency: 'USD',
        }),
        rejects('FORBIDDEN'),
      );
      const confirmed = await engine.service.execute('ConfirmPayment', id, actors.admin, {
        transactionId: 'bank-transfer-881',
        evidence: 'Wire received, statement line 14',
        amount: '5000',
        currency: 'USD',
      });
      assert.equal(confirmed.escrow.status, 'FUNDS_HELD');
      e = await engine.readModel.getEscrow(id);
      assert.equal(e?.fundedAmount, 5000n);
      const audit = await engine.readModel.audit(id);
      assert.ok(audit.some((a) => a.action === 'ConfirmPayment' && a.actorId === actors.admin.id));
      await assertEscrowInvariants(engine, id);
    });

    it('a declined sandbox payment (amount ending in 02) is recorded and the escrow still awaits funds', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput({ amount: '10002' }));
      await engine.simulator.pay(c.escrow.id);
      const e = await engine.readModel.getEscrow(c.escrow.id);
      assert.equal(e?.status, 'AWAIT_FUNDS');
      assert.deepEqual(
        (await engine.readModel.events(c.escrow.id)).map((x) => x.type),
        ['EscrowCreated', 'PaymentFailed'],
      );
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    it('a payment arriving after cancellation is recorded and flagged, not dropped', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput());
      await engine.service.execute('CancelEscrow', c.escrow.id, actors.buyer, {});
      const late = await engine.simulator.pay(c.escrow.id);
      assert.equal(late.outcome.status, 'processed');
      const e = await engine.readModel.getEscrow(c.escrow.id);
      assert.equal(e?.status, 'CANCELLED');
      assert.equal(e?.flaggedForReview, true);
      assert.equal((await engine.readModel.events(c.escrow.id)).at(-1)?.type, 'EscrowFlaggedForReview');
      await assertEscrowInvariants(engine, c.escrow.id);
    });

    it('a duplicate command id has exactly one effect and returns the first result', async () => {
      const { engine } = t;
      const id = await fundedEscrow(engine);
      const commandId = '0190f0c8-0000-7000-8000-00000000d001';
      const first = await engine.service.execute('MarkDelivered', id, actors.seller, { title: 'v1' }, { commandId });
      const again = await engine.service.execute('MarkDelivered', id, actors.seller, { title: 'v1' }, { commandId });
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.result, first.result);
      const events = await engine.readModel.events(id);
      assert.equal(events.filter((e) => e.type === 'EscrowDelivered').length, 1);
      assert.equal((await engine.readModel.getEscrow(id))?.version, first.escrow.version);
      // the same id for another command is refused, not silently answered with the first result
      const other = await fundedEscrow(engine);
      await assert.rejects(
        engine.service.execute('MarkDelivered', other, actors.seller, { title: 'v1' }, { commandId }),
        rejects('IDEMPOTENCY_KEY_REUSED'),
      );
      assert.equal((await engine.readModel.getEscrow(other))?.status, 'FUNDS_HELD');
      // a retried create with the same command id lands on the same escrow, once
      const createId = '0190f0c8-0000-7000-8000-00000000d002';
      const input = escrowInput();
      const c1 = await engine.service.create(actors.buyer, input, { commandId: createId });
      const c2 = await engine.service.create(actors.buyer, input, { commandId: createId });
      assert.equal(c2.duplicate, true);
      assert.equal(c2.escrow.id, c1.escrow.id);
      assert.equal((await engine.readModel.events(c1.escrow.id)).length, 1);
      await assertEscrowInvariants(engine, id);
      await assertEscrowInvariants(engine, c1.escrow.id);
    });

    it('a duplicate provider event has exactly one effect', async () => {
      const { engine } = t;
      const c = await engine.service.create(actors.buyer, escrowInput());
      const paid = await engine.simulator.pay(c.escrow.id);
      assert.equal(paid.outcome.status, 'processed');
      const again = await engine.webhooks.receive('sandbox', paid.rawBody, paid.headers);
      assert.deepEqual(again, { status: 'duplicate' });
      // the same payment reported under a new provider event id (same transaction) changes nothing either
      const body = JSON.parse(paid.rawBody) as { id: string };
      const resent = JSON.stringify({ ...body, id: `${body.id}-redelivered` });
      const third = await engine.webhooks.receive('sandbox', resent, {
        'x-sandbox-signature': engine.sandbox.sign(resent),
      });
      assert.equal(third.status, 'processed');
      const events = await engine.readModel.events(c.escrow.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['EscrowCreated', 'EscrowFundsHeld'],
      );
      const { rows } = await t.db.query<{ attempts: number; processed: boolean }>(
        `SELECT attempts, processed_at IS NOT NULL AS processed FROM webhook_events WHERE event_id = $1`,
        [body.id],
      );
      assert.deepEqual(rows, [{ attempts: 1, processed: true }], 'stored once, processed once');
      await assertEscrowInvariants(engine, c.escrow.id);
    });
  });
}
