import type { DecideContext } from '../commands.js';
import { DomainError } from '../errors.js';
import type { Escrow, EscrowStatus, Role } from '../types.js';

// Who may act on an escrow, and in which status.

type Party = 'buyer' | 'seller';
export type Allowed = Party | Exclude<Role, 'user'>;

/** A user who is neither party must not learn that the escrow exists. */
export function assertVisible(e: Escrow, ctx: DecideContext): void {
  if (ctx.actor.role === 'user' && ctx.actor.id !== e.buyerId && ctx.actor.id !== e.sellerId) {
    throw new DomainError('ESCROW_NOT_FOUND', `escrow ${e.id} not found`);
  }
}

/**
 * A party acts with the party's rights only, whatever its role: an admin who is the buyer cannot confirm their own
 * payment or rule on their own escrow.
 */
export function assertActor(e: Escrow, ctx: DecideContext, allowed: readonly Allowed[], what: string): void {
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

export function assertStatus(e: Escrow, allowed: readonly EscrowStatus[], what: string): void {
  if (!allowed.includes(e.status)) {
    throw new DomainError(
      'INVALID_STATE_TRANSITION',
      `cannot ${what}: escrow is ${e.status} (allowed from ${allowed.join(', ')})`,
      { currentStatus: e.status },
    );
  }
}
