import assert from 'node:assert/strict';
import {
  DEFAULT_POLICY,
  DomainError,
  addDays,
  decide,
  evolve,
  fold,
  ledgerViolations,
  postingsFor,
  type Actor,
  type DecideContext,
  type DomainErrorCode,
  type DomainEvent,
  type Escrow,
  type EscrowCommand,
  type EscrowPolicy,
  type EventPayload,
  type LedgerEntry,
  type SettlementData,
} from '../src/domain/index.js';

// ---- fixed inputs -------------------------------------------------------------------------------------------------

export const NOW = '2025-01-01T00:00:00.000Z';
export const ESCROW_ID = 'esc-1';
export const BUYER_ID = 'buyer-1';
export const SELLER_ID = 'seller-1';

/** Every kind of caller the decider distinguishes. `stranger` is a user who is neither party. */
export const actors = {
  buyer: { id: BUYER_ID, role: 'user' },
  seller: { id: SELLER_ID, role: 'user' },
  stranger: { id: 'stranger-1', role: 'user' },
  service: { id: 'marketplace-svc', role: 'service' },
  admin: { id: 'admin-1', role: 'admin' },
  system: { id: 'system', role: 'system' },
} as const satisfies Record<string, Actor>;
export type ActorName = keyof typeof actors;
export const ACTOR_NAMES = Object.keys(actors) as ActorName[];

export interface ContextOptions {
  actor?: Actor;
  now?: string;
  commandSeq?: number;
  policy?: EscrowPolicy;
}

/** A DecideContext with a fixed clock, DEFAULT_POLICY and ids `${commandSeq}-${purpose}`. */
export function context(opts: ContextOptions = {}): DecideContext {
  const seq = opts.commandSeq ?? 1;
  return {
    now: opts.now ?? NOW,
    actor: opts.actor ?? actors.buyer,
    policy: opts.policy ?? DEFAULT_POLICY,
    newId: (purpose) => `${seq}-${purpose}`,
  };
}

// ---- commands -----------------------------------------------------------------------------------------------------

type CreateCommand = Extract<EscrowCommand, { type: 'CreateEscrow' }>;

/** The reference escrow: STRIPE, USD 100.00 → buyer fee 320 (290 bps + 30), seller fee 50. */
export function createCommand(overrides: Partial<CreateCommand> = {}): CreateCommand {
  return {
    type: 'CreateEscrow',
    offerId: 'offer-1',
    buyerId: BUYER_ID,
    sellerId: SELLER_ID,
    rail: 'STRIPE',
    currency: 'USD',
    amount: '10000',
    payment: { reference: 'pi_123' },
    ...overrides,
  };
}

// ---- given: literal events ----------------------------------------------------------------------------------------

export function event(
  payload: EventPayload,
  actorId: string = actors.system.id,
  occurredAt: string = NOW,
): DomainEvent {
  return { ...payload, occurredAt, actorId };
}

export const EXPIRES_AT = addDays(NOW, DEFAULT_POLICY.paymentDeadlineDays);
export const AUTO_REFUND_AT = addDays(NOW, DEFAULT_POLICY.autoRefundDeadlineDays);
export const DISPUTE_ID = 'dispute-1';
export const PAYOUT_ID = 'settlement-payout-1';
export const REFUND_ID = 'settlement-refund-1';

const payout = (amount: string, id = PAYOUT_ID): SettlementData => ({
  id,
  kind: 'PAYOUT',
  amount,
  currency: 'USD',
  beneficiaryId: SELLER_ID,
});
const refund = (amount: string, id = REFUND_ID): SettlementData => ({
  id,
  kind: 'REFUND',
  amount,
  currency: 'USD',
  beneficiaryId: BUYER_ID,
});

/** Event builders for the reference escrow, for the "given" part of a test. */
export const ev = {
  created: (data: Partial<Extract<EventPayload, { type: 'EscrowCreated' }>['data']> = {}) =>
    event(
      {
        type: 'EscrowCreated',
        data: {
          offerId: 'offer-1',
          contractId: null,
          buyerId: BUYER_ID,
          sellerId: SELLER_ID,
          rail: 'STRIPE',
          currency: 'USD',
          amount: '10000',
          buyerFee: '320',
          sellerFee: '50',
          expiresAt: EXPIRES_AT,
          metadata: {},
          payment: { reference: 'pi_123' },
          ...data,
        },
      },
      BUYER_ID,
    ),
  fundsHeld: (transactionId = 'tx-1', amount = '10320') =>
    event({
      type: 'EscrowFundsHeld',
      data: { amount, currency: 'USD', transactionId, source: 'WEBHOOK', providerEventId: 'evt-1', evidence: null },
    }),
  cancelled: () => event({ type: 'EscrowCancelled', data: { reason: 'BUYER_CANCELLED', note: null } }, BUYER_ID),
  delivered: () =>
    event(
      {
        type: 'EscrowDelivered',
        data: {
          deliveryId: 'delivery-1',
          title: 'Account handed over',
          description: null,
          evidence: [],
          files: [],
          autoRefundAt: AUTO_REFUND_AT,
        },
      },
      SELLER_ID,
    ),
  deliveryConfirmed: () => event({ type: 'DeliveryConfirmed', data: { confirmedBy: BUYER_ID } }, BUYER_ID),
  released: () =>
    event(
      {
        type: 'EscrowReleased',
        data: {
          trigger: 'BUYER_CONFIRMED',
          reason: null,
          sellerAmount: '9950',
          feeAmount: '370',
          settlements: [payout('9950')],
        },
      },
      BUYER_ID,
    ),
  disputeOpened: () =>
    event(
      {
        type: 'DisputeOpened',
        data: {
          disputeId: DISPUTE_ID,
          milestoneId: null,
          reason: 'not as described',
          description: null,
          evidence: [],
          files: [],
          respondBy: addDays(NOW, 3),
          slaDueAt: addDays(NOW, 7),
        },
      },
      BUYER_ID,
    ),
  disputeResolvedRefund: () =>
    event(
      {
        type: 'DisputeResolved',
        data: {
          disputeId: DISPUTE_ID,
          resolution: 'REFUND',
          buyerAmount: '10000',
          reason: 'seller absent',
          status: 'RESOLVED',
        },
      },
      actors.admin.id,
    ),
  refundedFull: (trigger: 'ADMIN' | 'DISPUTE' = 'DISPUTE') =>
    event(
      {
        type: 'EscrowRefunded',
        data: {
          trigger,
          refundType: 'FULL',
          reason: 'seller absent',
          buyerAmount: '10320',
          sellerAmount: '0',
          feeAmount: '0',
          settlements: [refund('10320')],
        },
      },
      actors.admin.id,
    ),
  settlementFailed: (settlementId = PAYOUT_ID, amount = '9950') =>
    event({ type: 'SettlementFailed', data: { settlementId, kind: 'PAYOUT', amount, reason: 'account closed' } }),
  settlementSucceeded: (settlementId = PAYOUT_ID, amount = '9950') =>
    event({ type: 'SettlementSucceeded', data: { settlementId, kind: 'PAYOUT', amount, providerReference: 'po_1' } }),
};

/** One canonical history per status of the reference escrow. */
export const histories = {
  AWAIT_FUNDS: (): DomainEvent[] => [ev.created()],
  FUNDS_HELD: (): DomainEvent[] => [ev.created(), ev.fundsHeld()],
  DELIVERED: (): DomainEvent[] => [ev.created(), ev.fundsHeld(), ev.delivered()],
  DISPUTED: (): DomainEvent[] => [ev.created(), ev.fundsHeld(), ev.disputeOpened()],
  /** Released by the buyer; its payout has failed (so it can be retried). */
  RELEASED: (): DomainEvent[] => [
    ev.created(),
    ev.fundsHeld(),
    ev.delivered(),
    ev.deliveryConfirmed(),
    ev.released(),
    ev.settlementFailed(),
  ],
  /** Refunded in full by resolving a dispute; the dispute is RESOLVED and the refund settlement PENDING. */
  REFUNDED: (): DomainEvent[] => [
    ev.created(),
    ev.fundsHeld(),
    ev.disputeOpened(),
    ev.disputeResolvedRefund(),
    ev.refundedFull(),
  ],
  CANCELLED: (): DomainEvent[] => [ev.created(), ev.cancelled()],
} as const;

// ---- given / when / then ------------------------------------------------------------------------------------------

/** Given: the state that folding these events produces. */
export function given(events: readonly DomainEvent[]): Escrow | null {
  return fold(ESCROW_ID, events);
}

/** Like given(), for histories that must produce an escrow. */
export function givenEscrow(events: readonly DomainEvent[]): Escrow {
  const s = given(events);
  assert.ok(s, 'the history must contain EscrowCreated');
  return s;
}

/** When: decide the command as this actor. */
export function when(state: Escrow | null, command: EscrowCommand, opts: ContextOptions = {}): DomainEvent[] {
  return decide(command, state, context(opts));
}

/** Then: the events decided, compared on type and data (stamps are checked separately where they matter). */
export function then(actual: readonly DomainEvent[], expected: readonly EventPayload[]): void {
  assert.deepEqual(
    actual.map(({ type, data }) => ({ type, data })),
    expected,
  );
}

/** Then: decide throws a DomainError with this code (and returns it for further checks). */
export function thenThrows(fn: () => unknown, code: DomainErrorCode): DomainError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected DomainError ${code}, but nothing was thrown`);
  assert.ok(caught instanceof DomainError, `expected DomainError ${code}, got ${describeThrown(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

function describeThrown(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : typeof err;
}

/** Applies decided events to a state (the state the events were decided on). */
export function applyAll(state: Escrow | null, events: readonly DomainEvent[]): Escrow | null {
  let s = state;
  for (const e of events) s = evolve(s, { ...e, escrowId: ESCROW_ID });
  return s;
}

// ---- a running escrow with its ledger -----------------------------------------------------------------------------

/**
 * Runs commands through decide → evolve → postingsFor, keeping the events and the ledger entries (one transaction
 * per event), so a test can check ledgerViolations() after any step.
 */
export class EscrowRun {
  state: Escrow | null = null;
  readonly events: DomainEvent[] = [];
  readonly entries: LedgerEntry[] = [];
  now: string = NOW;
  private seq = 0;

  constructor(readonly escrowId: string = ESCROW_ID) {}

  /** Decides the command as `actor` at the run's clock and applies the result. Throws what decide() throws. */
  run(actor: Actor, command: EscrowCommand, policy: EscrowPolicy = DEFAULT_POLICY): DomainEvent[] {
    this.seq += 1;
    const events = decide(command, this.state, context({ actor, now: this.now, commandSeq: this.seq, policy }));
    this.apply(events);
    return events;
  }

  /** Applies already-decided events, posting each one's ledger transaction. */
  apply(events: readonly DomainEvent[]): void {
    for (const e of events) {
      const after = evolve(this.state, { ...e, escrowId: this.escrowId });
      const basis = e.type === 'EscrowCreated' || this.state === null ? after : this.state;
      const transactionId = `${this.escrowId}/${after.version}`;
      for (const p of postingsFor(basis, e)) this.entries.push({ ...p, transactionId });
      this.events.push(e);
      this.state = after;
    }
  }

  advance(ms: number): void {
    this.now = new Date(Date.parse(this.now) + ms).toISOString();
  }

  get escrow(): Escrow {
    assert.ok(this.state, 'no escrow yet');
    return this.state;
  }

  /** Balance of one ledger account. */
  balance(account: string): bigint {
    return this.entries.filter((e) => e.account === account).reduce((a, e) => a + e.amount, 0n);
  }

  violations(): string[] {
    return this.state ? ledgerViolations(this.state, this.entries) : [];
  }
}
