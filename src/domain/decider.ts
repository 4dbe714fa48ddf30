import type { DecideContext, EscrowCommand } from './commands.js';
import { DomainError, invalid } from './errors.js';
import type { DomainEvent, EventPayload, SettlementData } from './events.js';
import { computeFees } from './fees.js';
import { divHalfEven, parseMinor, parsePositiveMinor } from './money.js';
import { TERMINAL, type Escrow, type EscrowStatus, type Role } from './types.js';

const DAY_MS = 86_400_000;

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}

export const holdingOf = (e: Escrow): bigint => e.fundedAmount - e.releasedAmount - e.refundedAmount - e.feeAmount;

// ---- input guards -------------------------------------------------------------------------------------------------

function text(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const t = value.trim();
  if (t.length < min) throw invalid(field, min === 1 ? 'is required' : `must be at least ${min} characters`);
  if (t.length > max) throw invalid(field, `must be at most ${max} characters`);
  return t;
}

function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return text(value, field, 0, max);
}

function evidenceList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(field, 'must be an array of strings');
  if (value.length > 50) throw invalid(field, 'must have at most 50 items');
  return value.map((v, i) => text(v, `${field}[${i}]`, 1, 2000));
}

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;
function identifier(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID.test(value)) throw invalid(field, 'must be 1-128 of A-Z a-z 0-9 . _ : @ -');
  return value;
}

const METADATA_MAX_BYTES = 16 * 1024;
function metadataOf(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('metadata', 'must be a JSON object');
  // Measured as UTF-8 JSON, the way it is stored.
  if (new TextEncoder().encode(JSON.stringify(value)).length > METADATA_MAX_BYTES) {
    throw invalid('metadata', 'must be at most 16 KB as JSON');
  }
  return value as Record<string, unknown>;
}

// ---- actor rules --------------------------------------------------------------------------------------------------

type Party = 'buyer' | 'seller';
type Allowed = Party | Exclude<Role, 'user'>;

/** A user who is neither party must not learn that the escrow exists. */
function assertVisible(e: Escrow, ctx: DecideContext): void {
  if (ctx.actor.role === 'user' && ctx.actor.id !== e.buyerId && ctx.actor.id !== e.sellerId) {
    throw new DomainError('ESCROW_NOT_FOUND', `escrow ${e.id} not found`);
  }
}

/**
 * A party acts with the party's rights only, whatever its role: an admin who is the buyer cannot confirm their own
 * payment or rule on their own escrow.
 */
function assertActor(e: Escrow, ctx: DecideContext, allowed: readonly Allowed[], what: string): void {
  const { role, id } = ctx.actor;
  const party = id === e.buyerId || id === e.sellerId;
  const ok =
    role === 'user' || party
      ? (allowed.includes('buyer') && id === e.buyerId) || (allowed.includes('seller') && id === e.sellerId)
      : allowed.includes(role);
  if (!ok) throw new DomainError('FORBIDDEN', `${describeActor(e, ctx)} may not ${what}`);
}

function describeActor(e: Escrow, ctx: DecideContext): string {
  if (ctx.actor.role !== 'user') return `role ${ctx.actor.role}`;
  if (ctx.actor.id === e.buyerId) return 'the buyer';
  if (ctx.actor.id === e.sellerId) return 'the seller';
  return 'this user';
}

function assertStatus(e: Escrow, allowed: readonly EscrowStatus[], what: string): void {
  if (!allowed.includes(e.status)) {
    throw new DomainError(
      'INVALID_STATE_TRANSITION',
      `cannot ${what}: escrow is ${e.status} (allowed from ${allowed.join(', ')})`,
      { currentStatus: e.status },
    );
  }
}

// ---- money out of holding -----------------------------------------------------------------------------------------

interface Split {
  buyerAmount: bigint;
  sellerAmount: bigint;
  feeAmount: bigint;
}

/**
 * Splits what the escrow holds when `buyerPrincipal` of the amount goes back to the buyer and the rest to the seller.
 * A full refund returns everything the buyer paid, buyer fee included; otherwise the buyer fee is earned and the
 * seller fee is charged pro rata on the seller's share (half-even), so buyer + seller + fee = funded, always.
 */
export function splitHolding(e: Escrow, buyerPrincipal: bigint): Split {
  if (buyerPrincipal === e.amount) return { buyerAmount: e.fundedAmount, sellerAmount: 0n, feeAmount: 0n };
  const sellerPrincipal = e.amount - buyerPrincipal;
  const sellerFee = sellerPrincipal === e.amount ? e.sellerFee : prorate(e.sellerFee, sellerPrincipal, e.amount);
  return {
    buyerAmount: buyerPrincipal,
    sellerAmount: sellerPrincipal - sellerFee,
    feeAmount: e.buyerFee + sellerFee,
  };
}

const prorate = (fee: bigint, part: bigint, whole: bigint): bigint => divHalfEven(fee * part, whole);

function settlementsFor(e: Escrow, split: Split, ctx: DecideContext): SettlementData[] {
  const out: SettlementData[] = [];
  if (split.sellerAmount > 0n) {
    out.push({
      id: ctx.newId('settlement:payout'),
      kind: 'PAYOUT',
      amount: split.sellerAmount.toString(),
      currency: e.currency,
      beneficiaryId: e.sellerId,
    });
  }
  if (split.buyerAmount > 0n) {
    out.push({
      id: ctx.newId('settlement:refund'),
      kind: 'REFUND',
      amount: split.buyerAmount.toString(),
      currency: e.currency,
      beneficiaryId: e.buyerId,
    });
  }
  return out;
}

function released(
  e: Escrow,
  ctx: DecideContext,
  trigger: 'BUYER_CONFIRMED' | 'ADMIN' | 'TIMEOUT' | 'DISPUTE',
  reason: string | null,
): EventPayload {
  const split = splitHolding(e, 0n);
  return {
    type: 'EscrowReleased',
    data: {
      trigger,
      reason,
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
    },
  };
}

function refunded(
  e: Escrow,
  ctx: DecideContext,
  trigger: 'ADMIN' | 'SELLER' | 'TIMEOUT' | 'DISPUTE',
  buyerPrincipal: bigint,
  reason: string | null,
): EventPayload {
  const split = splitHolding(e, buyerPrincipal);
  return {
    type: 'EscrowRefunded',
    data: {
      trigger,
      refundType: buyerPrincipal === e.amount ? 'FULL' : 'PARTIAL',
      reason,
      buyerAmount: split.buyerAmount.toString(),
      sellerAmount: split.sellerAmount.toString(),
      feeAmount: split.feeAmount.toString(),
      settlements: settlementsFor(e, split, ctx),
    },
  };
}

// ---- decide -------------------------------------------------------------------------------------------------------

/**
 * The escrow decider: given the current state (null before creation) and a command, returns the events that
 * happen, or throws a DomainError. Pure: time, caller, policy and ids come in through the context.
 * An empty list means the command is accepted and changes nothing (e.g. a second notice of the same payment).
 */
export function decide(command: EscrowCommand, state: Escrow | null, ctx: DecideContext): DomainEvent[] {
  const stamp = (payloads: EventPayload[]): DomainEvent[] =>
    payloads.map((p) => ({ ...p, occurredAt: ctx.now, actorId: ctx.actor.id }));

  if (command.type === 'CreateEscrow') {
    if (state) throw new DomainError('ESCROW_ALREADY_EXISTS', `escrow ${state.id} already exists`);
    return stamp([create(command, ctx)]);
  }
  if (!state) throw new DomainError('ESCROW_NOT_FOUND', 'escrow not found');
  assertVisible(state, ctx);
  return stamp(decideExisting(command, state, ctx));
}

function create(c: Extract<EscrowCommand, { type: 'CreateEscrow' }>, ctx: DecideContext): EventPayload {
  const { actor, policy } = ctx;
  const offerId = identifier(c.offerId, 'offerId');
  const contractId = c.contractId == null ? null : identifier(c.contractId, 'contractId');
  const buyerId = identifier(c.buyerId, 'buyerId');
  const sellerId = identifier(c.sellerId, 'sellerId');
  if (buyerId === sellerId) throw invalid('sellerId', 'buyer and seller must be different');
  if (actor.role === 'user' && actor.id !== buyerId && actor.id !== sellerId) {
    throw new DomainError('FORBIDDEN', 'a user may only open an escrow they are the buyer or seller of');
  }
  if (actor.role === 'system') throw new DomainError('FORBIDDEN', 'the system does not open escrows');
  const railCurrencies = Object.hasOwn(policy.railCurrencies, c.rail) ? policy.railCurrencies[c.rail] : undefined;
  if (!railCurrencies) throw invalid('rail', `must be one of ${Object.keys(policy.railCurrencies).join(', ')}`);
  if (!railCurrencies.includes(c.currency)) {
    throw new DomainError('CURRENCY_NOT_SUPPORTED', `rail ${c.rail} does not accept ${String(c.currency)}`, {
      errors: [{ field: 'currency', message: `must be one of ${railCurrencies.join(', ')} for ${c.rail}` }],
    });
  }
  const amount = parsePositiveMinor(c.amount, 'amount');
  const overridesFees = c.buyerFee !== undefined || c.sellerFee !== undefined;
  if (overridesFees && actor.role === 'user') {
    throw new DomainError('FORBIDDEN', 'only service or admin callers may set fees');
  }
  const defaults = computeFees(policy.fees, c.rail, amount);
  const buyerFee = c.buyerFee === undefined ? defaults.buyerFee : parseMinor(c.buyerFee, 'buyerFee');
  const sellerFee = c.sellerFee === undefined ? defaults.sellerFee : parseMinor(c.sellerFee, 'sellerFee');
  if (sellerFee > amount) {
    throw c.sellerFee === undefined
      ? invalid('amount', `must be at least the ${c.rail} seller fee of ${sellerFee}`)
      : invalid('sellerFee', 'must not exceed the amount');
  }
  if (typeof c.payment?.reference !== 'string' || c.payment.reference.length === 0) {
    throw invalid('payment', 'payment instructions with a reference are required');
  }
  return {
    type: 'EscrowCreated',
    data: {
      offerId,
      contractId,
      buyerId,
      sellerId,
      rail: c.rail,
      currency: c.currency,
      amount: amount.toString(),
      buyerFee: buyerFee.toString(),
      sellerFee: sellerFee.toString(),
      expiresAt: addDays(ctx.now, policy.paymentDeadlineDays),
      metadata: metadataOf(c.metadata),
      payment: c.payment,
    },
  };
}

function decideExisting(
  c: Exclude<EscrowCommand, { type: 'CreateEscrow' }>,
  e: Escrow,
  ctx: DecideContext,
): EventPayload[] {
  const buyer = ctx.actor.role === 'user' && ctx.actor.id === e.buyerId;
  switch (c.type) {
    case 'CancelEscrow': {
      assertActor(e, ctx, ['buyer', 'seller', 'admin'], 'cancel this escrow');
      assertStatus(e, ['AWAIT_FUNDS'], 'cancel');
      const reason = ctx.actor.role === 'admin' ? 'ADMIN' : buyer ? 'BUYER_CANCELLED' : 'SELLER_CANCELLED';
      return [{ type: 'EscrowCancelled', data: { reason, note: optionalText(c.reason, 'reason', 500) } }];
    }
    case 'ConfirmPayment': {
      assertActor(e, ctx, ['admin'], 'confirm a payment');
      assertStatus(e, ['AWAIT_FUNDS'], 'confirm payment');
      return [
        {
          type: 'EscrowFundsHeld',
          data: {
            amount: (e.amount + e.buyerFee).toString(),
            currency: e.currency,
            transactionId: text(c.transactionId, 'transactionId', 1, 200),
            source: 'MANUAL',
            providerEventId: null,
            evidence: text(c.evidence, 'evidence', 1, 5000),
          },
        },
      ];
    }
    case 'ReceivePayment': {
      assertActor(e, ctx, ['system'], 'report a provider payment');
      const paid = parseMinor(c.amount, 'amount');
      if (e.fundingTransactionId === c.transactionId) return []; // another notice of the payment already applied
      if (e.status !== 'AWAIT_FUNDS') {
        return [
          {
            type: 'EscrowFlaggedForReview',
            data: {
              reason: 'PAYMENT_IN_UNEXPECTED_STATE',
              detail: `payment ${c.transactionId} of ${paid} ${c.currency} arrived while ${e.status}`,
            },
          },
        ];
      }
      const expected = e.amount + e.buyerFee;
      if (paid !== expected || c.currency !== e.currency) {
        return [
          {
            type: 'PaymentMismatchRecorded',
            data: {
              expectedAmount: expected.toString(),
              expectedCurrency: e.currency,
              paidAmount: paid.toString(),
              paidCurrency: c.currency,
              transactionId: c.transactionId,
              providerEventId: c.providerEventId,
            },
          },
        ];
      }
      return [
        {
          type: 'EscrowFundsHeld',
          data: {
            amount: paid.toString(),
            currency: c.currency,
            transactionId: c.transactionId,
            source: 'WEBHOOK',
            providerEventId: c.providerEventId,
            evidence: null,
          },
        },
      ];
    }
    case 'RecordPaymentFailure': {
      assertActor(e, ctx, ['system'], 'report a failed payment');
      if (e.status !== 'AWAIT_FUNDS') return []; // a late failure notice for a settled question changes nothing
      return [
        {
          type: 'PaymentFailed',
          data: {
            transactionId: c.transactionId ?? null,
            providerEventId: c.providerEventId,
            reason: text(c.reason, 'reason', 1, 500),
          },
        },
      ];
    }
    case 'MarkDelivered': {
      assertActor(e, ctx, ['seller', 'admin'], 'mark this escrow delivered');
      assertStatus(e, ['FUNDS_HELD'], 'mark delivered');
      return [
        {
          type: 'EscrowDelivered',
          data: {
            deliveryId: ctx.newId('delivery'),
            title: text(c.title, 'title', 1, 200),
            description: optionalText(c.description, 'description', 5000),
            evidence: evidenceList(c.evidence, 'evidence'),
            autoRefundAt: addDays(ctx.now, ctx.policy.autoRefundDeadlineDays),
          },
        },
      ];
    }
    case 'ConfirmDelivery': {
      assertActor(e, ctx, ['buyer'], 'confirm delivery');
      assertStatus(e, ['DELIVERED'], 'confirm delivery');
      return [
        { type: 'DeliveryConfirmed', data: { confirmedBy: ctx.actor.id } },
        released(e, ctx, 'BUYER_CONFIRMED', null),
      ];
    }
    case 'ReleaseEscrow': {
      assertActor(e, ctx, ['admin'], 'release funds');
      assertStatus(e, ['DELIVERED'], 'release');
      return [released(e, ctx, 'ADMIN', optionalText(c.reason, 'reason', 500))];
    }
    case 'RefundEscrow': {
      assertActor(e, ctx, ['seller', 'admin'], 'refund this escrow');
      assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'refund');
      const reason = text(c.reason, 'reason', 1, 500);
      const principal = c.refundAmount === undefined ? e.amount : parsePositiveMinor(c.refundAmount, 'refundAmount');
      if (principal > e.amount) {
        throw new DomainError(
          'REFUND_EXCEEDS_HELD',
          `refundAmount ${principal} exceeds the escrowed amount ${e.amount}`,
          {
            errors: [{ field: 'refundAmount', message: `must be at most ${e.amount}` }],
          },
        );
      }
      if (ctx.actor.role !== 'admin' && principal !== e.amount) {
        throw new DomainError('FORBIDDEN', 'the seller may only refund in full');
      }
      return [refunded(e, ctx, ctx.actor.role === 'admin' ? 'ADMIN' : 'SELLER', principal, reason)];
    }
    case 'OpenDispute': {
      assertActor(e, ctx, ['buyer', 'seller'], 'open a dispute');
      if (e.disputes.some((d) => d.status !== 'RESOLVED')) {
        throw new DomainError('DISPUTE_ALREADY_OPEN', 'this escrow already has an open dispute');
      }
      assertStatus(e, ['FUNDS_HELD', 'DELIVERED'], 'open a dispute');
      return [
        {
          type: 'DisputeOpened',
          data: {
            disputeId: ctx.newId('dispute'),
            reason: text(c.reason, 'reason', 1, 100),
            description: optionalText(c.description, 'description', 5000),
            evidence: evidenceList(c.evidence, 'evidence'),
          },
        },
      ];
    }
    case 'StartDisputeReview': {
      assertActor(e, ctx, ['admin'], 'review a dispute');
      const d = findDispute(e, c.disputeId);
      if (d.status !== 'OPEN') {
        throw new DomainError('INVALID_STATE_TRANSITION', `cannot start review: dispute is ${d.status}`, {
          currentStatus: d.status,
        });
      }
      return [{ type: 'DisputeReviewStarted', data: { disputeId: d.id, reviewerId: ctx.actor.id } }];
    }
    case 'ResolveDispute': {
      assertActor(e, ctx, ['admin'], 'resolve a dispute');
      const d = findDispute(e, c.disputeId);
      if (d.status === 'RESOLVED') {
        throw new DomainError('INVALID_STATE_TRANSITION', 'cannot resolve: dispute is RESOLVED', {
          currentStatus: d.status,
        });
      }
      assertStatus(e, ['DISPUTED'], 'resolve a dispute');
      const reason = text(c.reason, 'reason', 1, 500);
      const resolved = (buyerAmount: bigint | null): EventPayload => ({
        type: 'DisputeResolved',
        data: {
          disputeId: d.id,
          resolution: c.resolution,
          buyerAmount: buyerAmount === null ? null : buyerAmount.toString(),
          reason,
          status: 'RESOLVED',
        },
      });
      switch (c.resolution) {
        case 'RELEASE':
          return [resolved(null), released(e, ctx, 'DISPUTE', reason)];
        case 'REFUND':
          return [resolved(e.amount), refunded(e, ctx, 'DISPUTE', e.amount, reason)];
        case 'SPLIT': {
          const buyerAmount = parsePositiveMinor(c.buyerAmount, 'buyerAmount');
          if (buyerAmount >= e.amount) {
            throw invalid('buyerAmount', `must be less than the amount ${e.amount}; use REFUND for a full refund`);
          }
          return [resolved(buyerAmount), refunded(e, ctx, 'DISPUTE', buyerAmount, reason)];
        }
        default: {
          const _exhaustive: never = c.resolution;
          throw invalid('resolution', `must be RELEASE, REFUND or SPLIT, got ${String(_exhaustive)}`);
        }
      }
    }
    case 'ExpireEscrow': {
      assertActor(e, ctx, ['system', 'admin'], 'expire an escrow');
      assertStatus(e, ['AWAIT_FUNDS'], 'expire');
      if (Date.parse(ctx.now) < Date.parse(e.expiresAt)) {
        throw new DomainError('DEADLINE_NOT_REACHED', `payment deadline ${e.expiresAt} has not passed`);
      }
      return [{ type: 'EscrowCancelled', data: { reason: 'TIMEOUT', note: null } }];
    }
    case 'ApplyDeliveryTimeout': {
      assertActor(e, ctx, ['system', 'admin'], 'apply the delivery timeout');
      assertStatus(e, ['DELIVERED'], 'apply the delivery timeout');
      if (e.autoRefundAt === null || Date.parse(ctx.now) < Date.parse(e.autoRefundAt)) {
        throw new DomainError('DEADLINE_NOT_REACHED', `confirmation deadline ${String(e.autoRefundAt)} has not passed`);
      }
      const reason = 'buyer did not confirm delivery before the deadline';
      if (c.action === 'RELEASE') return [released(e, ctx, 'TIMEOUT', reason)];
      if (c.action === 'REFUND') return [refunded(e, ctx, 'TIMEOUT', e.amount, reason)];
      throw invalid('action', 'must be REFUND or RELEASE');
    }
    case 'RecordSettlementResult': {
      assertActor(e, ctx, ['system'], 'record a settlement result');
      const s = findSettlement(e, c.settlementId);
      if (s.status === 'SUCCEEDED') return []; // the provider already confirmed it; a repeat changes nothing
      if (c.outcome === 'SUCCEEDED') {
        return [
          {
            type: 'SettlementSucceeded',
            data: {
              settlementId: s.id,
              kind: s.kind,
              amount: s.amount.toString(),
              providerReference: c.providerReference ?? null,
            },
          },
        ];
      }
      if (s.status === 'FAILED') return [];
      return [
        {
          type: 'SettlementFailed',
          data: {
            settlementId: s.id,
            kind: s.kind,
            amount: s.amount.toString(),
            reason: text(c.reason ?? 'unknown', 'reason', 1, 1000),
          },
        },
      ];
    }
    case 'RetrySettlement': {
      assertActor(e, ctx, ['admin'], 'retry a settlement');
      const s = findSettlement(e, c.settlementId);
      if (s.status !== 'FAILED') {
        throw new DomainError('INVALID_STATE_TRANSITION', `cannot retry: settlement is ${s.status}`, {
          currentStatus: s.status,
        });
      }
      return [{ type: 'SettlementRetried', data: { settlementId: s.id } }];
    }
    default: {
      const _exhaustive: never = c;
      throw invalid('type', `unknown command ${String((_exhaustive as { type: unknown }).type)}`);
    }
  }
}

function findDispute(e: Escrow, id: string) {
  const d = e.disputes.find((x) => x.id === id);
  if (!d) throw new DomainError('DISPUTE_NOT_FOUND', `dispute ${String(id)} not found on escrow ${e.id}`);
  return d;
}

function findSettlement(e: Escrow, id: string) {
  const s = e.settlements.find((x) => x.id === id);
  if (!s) throw new DomainError('SETTLEMENT_NOT_FOUND', `settlement ${String(id)} not found on escrow ${e.id}`);
  return s;
}

export const isTerminal = (s: EscrowStatus): boolean => TERMINAL.has(s);
