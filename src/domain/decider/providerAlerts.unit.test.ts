import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EscrowRun, actors, createCommand } from '../../../test/domainFixtures.js';
import type { PaymentScreening } from '../commands.js';

// What providers report that needs a person (chargebacks, reversed payouts) and the risk screen of a payment.

function funded(screening?: PaymentScreening, amount = '10320') {
  const run = new EscrowRun();
  run.run(actors.service, createCommand());
  const events = run.run(actors.system, {
    type: 'ReceivePayment',
    providerEventId: 'evt-1',
    transactionId: 'ch_1',
    amount,
    currency: 'usd',
    ...(screening ? { screening } : {}),
  });
  return { run, types: events.map((e) => e.type) };
}

const screen = (verdict: PaymentScreening['verdict'], score: number | null): PaymentScreening => ({
  verdict,
  screener: 'chainalysis+trm',
  score,
  detail: verdict === 'REJECT' ? 'sanctions: OFAC SDN' : 'mixer exposure',
});

void describe('a payment with a risk screen', () => {
  void it('PASS funds it as without a screen', () => {
    const { run, types } = funded(screen('PASS', 3));
    assert.deepEqual(types, ['EscrowFundsHeld']);
    assert.equal(run.escrow.flaggedForReview, false);
  });

  void it('REVIEW funds it flagged for an admin, the money held', () => {
    const { run, types } = funded(screen('REVIEW', 62));
    assert.deepEqual(types, ['EscrowFundsHeld', 'EscrowFlaggedForReview']);
    assert.equal(run.escrow.status, 'FUNDS_HELD');
    assert.equal(run.escrow.flaggedForReview, true);
    assert.deepEqual(run.violations(), []);
  });

  void it('REJECT funds and refunds in one command: a full refund settlement to the buyer, nothing held', () => {
    const { run, types } = funded(screen('REJECT', null));
    assert.deepEqual(types, ['EscrowFundsHeld', 'EscrowRefunded']);
    const e = run.escrow;
    assert.equal(e.status, 'REFUNDED');
    assert.equal(e.refundedAmount, 10_320n, 'the buyer gets back all they paid, fee included');
    assert.equal(e.settlements.length, 1);
    assert.equal(e.settlements[0]?.kind, 'REFUND');
    assert.equal(e.settlements[0]?.amount, 10_320n);
    const refunded = run.events.at(-1);
    assert.ok(refunded?.type === 'EscrowRefunded');
    assert.equal(refunded.data.trigger, 'RISK');
    assert.match(refunded.data.reason ?? '', /REJECT by chainalysis\+trm: sanctions: OFAC SDN/);
    assert.deepEqual(run.violations(), []);
  });

  void it('REJECT of a payment that funds nothing (wrong amount) books it to suspense and flags it', () => {
    const { run, types } = funded(screen('REJECT', 91), '500');
    assert.deepEqual(types, ['PaymentMismatchRecorded', 'SuspenseBooked', 'EscrowFlaggedForReview']);
    assert.equal(run.escrow.status, 'AWAIT_FUNDS');
    assert.deepEqual(run.violations(), []);
  });
});

void describe('RecordChargeback', () => {
  const chargeback = {
    type: 'RecordChargeback',
    providerEventId: 'evt_dp_1',
    reason: 'fraudulent',
    amount: '10320',
    currency: 'usd',
  } as const;

  void it('on held money: flagged and put in dispute, so nothing is released before a ruling', () => {
    const { run } = funded();
    const types = run.run(actors.system, chargeback).map((e) => e.type);
    assert.deepEqual(types, ['EscrowFlaggedForReview', 'DisputeOpened']);
    assert.equal(run.escrow.status, 'DISPUTED');
    assert.equal(run.escrow.flaggedForReview, true);
    assert.match(run.escrow.disputes[0]?.reason ?? '', /^Chargeback: fraudulent$/);
    assert.throws(() => run.run(actors.buyer, { type: 'ConfirmDelivery' }), /DISPUTED|cannot/);
  });

  void it('with a dispute already open, or after the money left: flagged only', () => {
    const { run } = funded();
    run.run(actors.buyer, { type: 'OpenDispute', reason: 'late' });
    assert.deepEqual(
      run.run(actors.system, chargeback).map((e) => e.type),
      ['EscrowFlaggedForReview'],
    );
    const paidOut = funded().run;
    paidOut.run(actors.seller, { type: 'MarkDelivered', title: 'Done' });
    paidOut.run(actors.buyer, { type: 'ConfirmDelivery' });
    assert.deepEqual(
      paidOut.run(actors.system, chargeback).map((e) => e.type),
      ['EscrowFlaggedForReview'],
    );
    assert.equal(paidOut.escrow.status, 'RELEASED');
  });

  void it('only the system (a verified provider webhook) reports one', () => {
    const { run } = funded();
    for (const actor of [actors.buyer, actors.admin, actors.service]) {
      assert.throws(() => run.run(actor, chargeback), /FORBIDDEN|not allowed|may not/i);
    }
  });
});

void describe('FlagEscrow', () => {
  void it('flags any escrow for an operator, by the system or an admin, naming why', () => {
    const { run } = funded();
    const [e] = run.run(actors.system, { type: 'FlagEscrow', reason: 'TRANSFER_REVERSED', detail: 'tr_1 reversed' });
    assert.deepEqual(e?.data, { reason: 'TRANSFER_REVERSED', detail: 'tr_1 reversed' });
    assert.throws(() => run.run(actors.seller, { type: 'FlagEscrow', reason: 'X', detail: 'y' }));
    assert.throws(() => run.run(actors.admin, { type: 'FlagEscrow', reason: 'X', detail: '' }), /detail/);
  });
});
