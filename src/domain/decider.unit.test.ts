import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_NAMES, BUYER_ID, NOW, actors, applyAll, given, thenThrows, when } from '../../test/domainFixtures.js';
import { COMMAND_TYPES, type CommandType } from './commands.js';
import { addDays, decide, isTerminal, splitHolding } from './decider.js';
import type { DomainErrorCode } from './errors.js';
import type { EventType } from './events.js';
import { DEFAULT_POLICY } from './policy.js';
import { STATUSES, type EscrowStatus } from './types.js';
import { inStatus, LATE, stateFor, validFor } from './decider/decider.kit.js';

// decide() as a whole: every command from every status and every kind of caller, and the helpers it exports.
// Each command family's own cases are beside its handler, in ./decider/*.unit.test.ts.

/** Event types emitted, [] for "accepted, nothing changes", or the error code. */
type Outcome = readonly EventType[] | DomainErrorCode;
const IST = 'INVALID_STATE_TRANSITION';
const SUSPENDED: Outcome = ['SuspenseBooked', 'EscrowFlaggedForReview'];

const EXPECTED: Record<CommandType, { from: Partial<Record<EscrowStatus, Outcome>>; otherwise: Outcome }> = {
  CreateEscrow: { from: {}, otherwise: 'ESCROW_ALREADY_EXISTS' },
  CancelEscrow: { from: { AWAIT_FUNDS: ['EscrowCancelled'] }, otherwise: IST },
  // an admin's confirm is refused past funding; the provider's payment is booked to suspense and flagged
  ConfirmPayment: { from: { AWAIT_FUNDS: ['EscrowFundsHeld'] }, otherwise: IST },
  ReceivePayment: { from: { AWAIT_FUNDS: ['EscrowFundsHeld'] }, otherwise: SUSPENDED },
  RecordPaymentFailure: { from: { AWAIT_FUNDS: ['PaymentFailed'] }, otherwise: [] },
  MarkDelivered: { from: { FUNDS_HELD: ['EscrowDelivered'] }, otherwise: IST },
  ConfirmDelivery: { from: { DELIVERED: ['DeliveryConfirmed', 'EscrowReleased'] }, otherwise: IST },
  ReleaseEscrow: { from: { DELIVERED: ['EscrowReleased'] }, otherwise: IST },
  RefundEscrow: { from: { FUNDS_HELD: ['EscrowRefunded'], DELIVERED: ['EscrowRefunded'] }, otherwise: IST },
  OpenDispute: {
    from: { FUNDS_HELD: ['DisputeOpened'], DELIVERED: ['DisputeOpened'], DISPUTED: 'DISPUTE_ALREADY_OPEN' },
    otherwise: IST,
  },
  // Dispute and settlement commands name a dispute/settlement: where there is none, that is the error.
  StartDisputeReview: { from: { DISPUTED: ['DisputeReviewStarted'], REFUNDED: IST }, otherwise: 'DISPUTE_NOT_FOUND' },
  ResolveDispute: {
    from: { DISPUTED: ['DisputeResolved', 'EscrowReleased'], REFUNDED: IST },
    otherwise: 'DISPUTE_NOT_FOUND',
  },
  ExpireEscrow: { from: { AWAIT_FUNDS: ['EscrowCancelled'] }, otherwise: IST },
  ApplyDeliveryTimeout: { from: { DELIVERED: ['EscrowRefunded'] }, otherwise: IST },
  RecordSettlementResult: {
    from: { RELEASED: ['SettlementSucceeded'], REFUNDED: ['SettlementSucceeded'] },
    otherwise: 'SETTLEMENT_NOT_FOUND',
  },
  RetrySettlement: { from: { RELEASED: ['SettlementRetried'], REFUNDED: IST }, otherwise: 'SETTLEMENT_NOT_FOUND' },
  // given an OPEN suspense item (stateFor): refunded from any status, applied only while awaiting funds
  RefundSuspense: { from: {}, otherwise: ['SuspenseRefunded'] },
  ApplySuspense: { from: { AWAIT_FUNDS: ['SuspenseApplied'] }, otherwise: IST },
  ClearReviewFlag: { from: {}, otherwise: ['ReviewFlagCleared'] },
  // a chargeback is always flagged; while the money is held and no dispute is open, it also opens one
  RecordChargeback: {
    from: {
      FUNDS_HELD: ['EscrowFlaggedForReview', 'DisputeOpened'],
      DELIVERED: ['EscrowFlaggedForReview', 'DisputeOpened'],
    },
    otherwise: ['EscrowFlaggedForReview'],
  },
  FlagEscrow: { from: {}, otherwise: ['EscrowFlaggedForReview'] },
  AddDisputeEvidence: {
    from: { DISPUTED: ['DisputeEvidenceAdded'], REFUNDED: IST },
    otherwise: 'DISPUTE_NOT_FOUND',
  },
  DefineMilestones: { from: { AWAIT_FUNDS: ['MilestonesDefined'] }, otherwise: IST },
  DeliverMilestone: { from: { FUNDS_HELD: ['MilestoneDelivered'] }, otherwise: IST },
  ReleaseMilestone: { from: { FUNDS_HELD: ['MilestoneReleased'] }, otherwise: IST },
  SetVault: {
    from: { AWAIT_FUNDS: ['VaultSet'], FUNDS_HELD: ['VaultSet'], DELIVERED: ['VaultSet'], DISPUTED: ['VaultSet'] },
    otherwise: IST,
  },
  RevealVault: {
    from: {
      FUNDS_HELD: ['VaultRevealed'],
      DELIVERED: ['VaultRevealed'],
      DISPUTED: ['VaultRevealed'],
      RELEASED: ['VaultRevealed'],
    },
    otherwise: IST,
  },
};

/** SPEC §3.1: where each status may lead (a status may also stay as it is). */
const NEXT: Record<EscrowStatus, readonly EscrowStatus[]> = {
  AWAIT_FUNDS: ['AWAIT_FUNDS', 'FUNDS_HELD', 'CANCELLED'],
  FUNDS_HELD: ['FUNDS_HELD', 'DELIVERED', 'DISPUTED', 'REFUNDED'],
  DELIVERED: ['DELIVERED', 'RELEASED', 'DISPUTED', 'REFUNDED'],
  DISPUTED: ['DISPUTED', 'RELEASED', 'REFUNDED'],
  RELEASED: ['RELEASED'],
  REFUNDED: ['REFUNDED'],
  CANCELLED: ['CANCELLED'],
};

/** Commands whose rejection is the escrow's own status (so the error must name it). */
const STATUS_GUARDED: ReadonlySet<CommandType> = new Set([
  'CancelEscrow',
  'ConfirmPayment',
  'MarkDelivered',
  'ConfirmDelivery',
  'ReleaseEscrow',
  'RefundEscrow',
  'OpenDispute',
  'ExpireEscrow',
  'ApplyDeliveryTimeout',
  'ApplySuspense',
  'DeliverMilestone',
  'ReleaseMilestone',
  'DefineMilestones',
  'SetVault',
  'RevealVault',
]);

void describe('transition table: every status × every command', () => {
  for (const status of STATUSES) {
    void describe(`from ${status}`, () => {
      for (const type of COMMAND_TYPES) {
        const expected = EXPECTED[type].from[status] ?? EXPECTED[type].otherwise;
        const label = typeof expected === 'string' ? expected : `[${expected.join(', ')}]`;
        void it(`${type} → ${label}`, () => {
          const before = stateFor(type, status);
          const { actor, command, now } = validFor(type, before);
          const run = () => when(before, command, { actor: actors[actor], now: now ?? NOW });
          if (typeof expected === 'string') {
            const err = thenThrows(run, expected);
            if (expected === IST && STATUS_GUARDED.has(type)) {
              assert.equal(err.details.currentStatus, status);
              assert.match(err.message, new RegExp(`escrow is ${status}`));
            }
            return;
          }
          const events = run();
          assert.deepEqual(
            events.map((e) => e.type),
            expected,
          );
          const after = applyAll(before, events);
          assert.ok(after);
          assert.ok(NEXT[status].includes(after.status), `${status} → ${after.status} is not a SPEC transition`);
          assert.equal(after.version, before.version + events.length);
        });
      }
    });
  }
});

void describe('actor table: each command in a state that allows it, from every kind of caller', () => {
  const callers = ACTOR_NAMES.filter((n) => n !== 'stranger');
  for (const type of COMMAND_TYPES) {
    const { home, allowed } = validFor(type, null);
    for (const name of callers) {
      const may = allowed.includes(name);
      void it(`${type} by ${name} → ${may ? 'accepted' : 'FORBIDDEN'}`, () => {
        const before = home === null ? null : stateFor(type, home);
        const { command, now } = validFor(type, before);
        const run = () => when(before, command, { actor: actors[name], now: now ?? NOW });
        if (may) assert.ok(run().length > 0);
        else thenThrows(run, 'FORBIDDEN');
      });
    }
  }
});

void describe('a user who is neither buyer nor seller learns nothing', () => {
  for (const status of STATUSES) {
    void it(`every command on a ${status} escrow is ESCROW_NOT_FOUND`, () => {
      const before = inStatus(status);
      for (const type of COMMAND_TYPES.filter((t) => t !== 'CreateEscrow')) {
        const { command, now } = validFor(type, before);
        thenThrows(() => when(before, command, { actor: actors.stranger, now: now ?? NOW }), 'ESCROW_NOT_FOUND');
      }
    });
  }

  void it('whatever the payload, even a malformed one', () => {
    const s = inStatus('FUNDS_HELD');
    thenThrows(
      () => when(s, { type: 'RefundEscrow', reason: '', refundAmount: '-5' }, { actor: actors.stranger }),
      'ESCROW_NOT_FOUND',
    );
    thenThrows(() => when(s, { type: 'MarkDelivered', title: '' }, { actor: actors.stranger }), 'ESCROW_NOT_FOUND');
  });
});

// ---------------------------------------------------------------------------------------------------------------------

void describe('helpers', () => {
  void it('splitHolding keeps buyer + seller + fee = funded', () => {
    const s = inStatus('FUNDS_HELD');
    for (const principal of [0n, 1n, 2_500n, 5_000n, 9_999n, 10_000n]) {
      const { buyerAmount, sellerAmount, feeAmount } = splitHolding(s, principal);
      assert.equal(buyerAmount + sellerAmount + feeAmount, s.fundedAmount, `principal ${principal}`);
      assert.ok(sellerAmount >= 0n);
    }
  });

  void it('isTerminal is exactly RELEASED, REFUNDED, CANCELLED', () => {
    assert.deepEqual(
      STATUSES.filter((s) => isTerminal(s)),
      ['RELEASED', 'REFUNDED', 'CANCELLED'],
    );
  });

  void it('addDays works in UTC days', () => {
    assert.equal(addDays('2025-03-29T12:00:00.000Z', 2), '2025-03-31T12:00:00.000Z');
  });

  void it('decide stamps every event with the context time and actor', () => {
    const events = decide({ type: 'ConfirmDelivery' }, inStatus('DELIVERED'), {
      now: LATE,
      actor: actors.buyer,
      policy: DEFAULT_POLICY,
      newId: (p) => `x-${p}`,
    });
    assert.deepEqual(
      events.map((e) => [e.occurredAt, e.actorId]),
      [
        [LATE, BUYER_ID],
        [LATE, BUYER_ID],
      ],
    );
  });

  void it('given() folds to null for no events', () => {
    assert.equal(given([]), null);
  });
});
