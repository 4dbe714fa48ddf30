import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EscrowRun, actors, createCommand, given, type ActorName } from '../../test/domainFixtures.js';
import type { EscrowCommand } from './commands.js';
import type { EventPayload } from './events.js';
import { accounts } from './ledger.js';

// Whole flows through decide → evolve → ledger postings, checking the SPEC §2 invariants after every step.

void describe('flows with the ledger', () => {
  const step = (run: EscrowRun, actor: ActorName, command: EscrowCommand): EventPayload[] => {
    const events = run.run(actors[actor], command);
    assert.deepEqual(run.violations(), [], `after ${command.type}`);
    return events;
  };

  void it('STRIPE: pay, deliver, confirm, payout succeeds — platform keeps both fees', () => {
    const run = new EscrowRun();
    step(run, 'buyer', createCommand());
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e1',
      transactionId: 'tx-1',
      amount: '10320',
      currency: 'USD',
    });
    assert.equal(run.balance(accounts.holding(run.escrowId)), 10_320n);
    assert.equal(run.balance(accounts.external('STRIPE')), -10_320n);
    step(run, 'seller', { type: 'MarkDelivered', title: 'done' });
    step(run, 'buyer', { type: 'ConfirmDelivery' });
    assert.equal(run.balance(accounts.holding(run.escrowId)), 0n);
    assert.equal(run.balance(accounts.sellerPayable(run.escrowId)), 9_950n);
    assert.equal(run.balance(accounts.feeRevenue), 370n);
    const payoutId = run.escrow.settlements[0]?.id ?? '';
    step(run, 'system', { type: 'RecordSettlementResult', settlementId: payoutId, outcome: 'FAILED', reason: 'x' });
    step(run, 'admin', { type: 'RetrySettlement', settlementId: payoutId });
    step(run, 'system', { type: 'RecordSettlementResult', settlementId: payoutId, outcome: 'SUCCEEDED' });
    assert.equal(run.balance(accounts.sellerPayable(run.escrowId)), 0n);
    assert.equal(run.balance(accounts.external('STRIPE')), -370n);
    assert.equal(run.escrow.version, run.events.length);
    assert.deepEqual(given(run.events), run.escrow);
  });

  void it('partial refund: both settlements succeed and every account but fees ends at zero', () => {
    const run = new EscrowRun();
    step(run, 'service', createCommand());
    step(run, 'admin', {
      type: 'ConfirmPayment',
      transactionId: 'wire-1',
      evidence: 'statement',
      amount: '10320',
      currency: 'USD',
    });
    step(run, 'admin', { type: 'RefundEscrow', refundAmount: '9500', reason: 'partly delivered' });
    for (const s of run.escrow.settlements) {
      step(run, 'system', { type: 'RecordSettlementResult', settlementId: s.id, outcome: 'SUCCEEDED' });
    }
    assert.equal(run.balance(accounts.feeRevenue), 322n);
    assert.equal(run.balance(accounts.external('STRIPE')), -322n);
    assert.equal(run.balance(accounts.buyerRefundable(run.escrowId)), 0n);
  });

  void it('dispute split on USDC_BASE: 50 bps seller fee pro rata', () => {
    const run = new EscrowRun();
    step(run, 'seller', createCommand({ rail: 'USDC_BASE', currency: 'USDC', amount: '1000000' }));
    assert.equal(run.escrow.sellerFee, 5_000n);
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: '0xabc',
      amount: '1000000',
      currency: 'USDC',
    });
    step(run, 'seller', { type: 'OpenDispute', reason: 'buyer went silent' });
    const disputeId = run.escrow.disputes[0]?.id ?? '';
    step(run, 'admin', { type: 'StartDisputeReview', disputeId });
    const events = step(run, 'admin', {
      type: 'ResolveDispute',
      disputeId,
      resolution: 'SPLIT',
      buyerAmount: '250000',
      reason: 'half delivered',
    });
    const refund = events.find((e) => e.type === 'EscrowRefunded');
    assert.ok(refund?.type === 'EscrowRefunded');
    // seller share 750000 → fee 3750
    assert.deepEqual(
      [refund.data.buyerAmount, refund.data.sellerAmount, refund.data.feeAmount],
      ['250000', '746250', '3750'],
    );
  });

  void it('timeout refund after delivery, and a cancelled escrow holds nothing', () => {
    const run = new EscrowRun();
    step(run, 'buyer', createCommand({ rail: 'SANDBOX' }));
    step(run, 'system', {
      type: 'ReceivePayment',
      providerEventId: 'e',
      transactionId: 't',
      amount: '10000',
      currency: 'USD',
    });
    step(run, 'admin', { type: 'MarkDelivered', title: 'sent' });
    run.advance(7 * 86_400_000);
    step(run, 'system', { type: 'ApplyDeliveryTimeout', action: 'REFUND' });
    assert.equal(run.escrow.refundedAmount, 10_000n);

    const cancelled = new EscrowRun('esc-2');
    step(cancelled, 'buyer', createCommand());
    cancelled.advance(7 * 86_400_000);
    step(cancelled, 'system', { type: 'ExpireEscrow' });
    assert.equal(cancelled.escrow.status, 'CANCELLED');
    assert.equal(cancelled.entries.length, 0);
  });
});
