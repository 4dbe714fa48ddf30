import {
  DomainError,
  decide,
  invalid,
  isStorableText,
  remainderOf,
  type Actor,
  type CommandType,
  type Escrow,
  type EscrowCommand,
  type EscrowPolicy,
} from '../domain/index.js';
import { TEXT_MAX_LENGTH, UNSTORABLE_TEXT_RULE } from '../domain/limits.js';
import { decideContext } from './commandHandler.js';
import { APPROVAL_COMMANDS, type ApprovalCommandType } from './ports/approvalStore.js';

// The pure rules of dual control: what an admin command moves out of holding, and whether that is above the
// threshold of its currency; plus the decision a dry run shows.

/** What a command moves, in the escrow's currency (minor units). */
export interface Moving {
  amount: bigint;
  currency: string;
}

export const isApprovalCommand = (type: CommandType): type is ApprovalCommandType =>
  (APPROVAL_COMMANDS as readonly string[]).includes(type);

/**
 * The amount a command moves out of holding: a release or a refund, what is still held (the escrow's amount, on a
 * milestone escrow what its unsettled milestones hold) — a partial refund too, since it is final: the buyer gets the
 * refundAmount and the seller the rest; a dispute resolution, the whole amount in dispute (the milestone's, or what is
 * still held) whatever the split; a milestone's release, that milestone's amount. Null for other commands.
 */
export function amountMoving(type: CommandType, e: Escrow, payload: unknown): Moving | null {
  if (!isApprovalCommand(type)) return null;
  const p = (payload ?? {}) as { disputeId?: unknown; milestoneId?: unknown };
  const held = remainderOf(e).amount;
  switch (type) {
    case 'ReleaseEscrow':
    case 'RefundEscrow':
      return { amount: held, currency: e.currency };
    case 'ReleaseMilestone': {
      const milestone = e.milestones.find((m) => m.id === p.milestoneId);
      return milestone ? { amount: milestone.amount, currency: e.currency } : null;
    }
    case 'ResolveDispute': {
      const dispute = e.disputes.find((d) => d.id === p.disputeId);
      const milestone = dispute?.milestoneId ? e.milestones.find((m) => m.id === dispute.milestoneId) : undefined;
      return { amount: milestone ? milestone.amount : held, currency: e.currency };
    }
    default: {
      const _exhaustive: never = type;
      return _exhaustive;
    }
  }
}

/** The threshold `moving` is above (as a digit string), or null: no threshold for its currency, or not above it. */
export function thresholdExceeded(thresholds: Readonly<Record<string, bigint>>, moving: Moving): bigint | null {
  const limit = thresholds[moving.currency];
  return limit !== undefined && moving.amount > limit ? limit : null;
}

/** The events a command would record on the escrow as it is now, as `actor`; a refusal throws its DomainError. */
export function decideNow(
  type: CommandType,
  escrow: Escrow,
  actor: Actor,
  payload: unknown,
  ctx: { now: string; policy: EscrowPolicy; commandId?: string },
): { type: string; data: unknown }[] {
  const command = { ...(payload as object), type } as EscrowCommand;
  const events = decide(command, escrow, decideContext(ctx.commandId ?? 'dry-run', actor, ctx.now, ctx.policy));
  return events.map(({ type: t, data }) => ({ type: t, data }));
}

/** Approving and rejecting: admins only (the routes and the CLI let only them in). */
export function adminOnly(actor: Actor, what: string): void {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', `only an admin may ${what}`);
}

/** A decision's reason: 1-500 storable characters. */
export function reasonOf(text: unknown): string {
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw invalid('reason', `must be 1-${max} characters saying why (kept with the approval and in the audit log)`);
  }
  if (!isStorableText(trimmed)) throw invalid('reason', UNSTORABLE_TEXT_RULE);
  return trimmed;
}

/** The proposer's reason: the command's own (a release may have none), bounded as the column is. */
export function proposalReason(payload: unknown): string {
  const r = (payload as { reason?: unknown } | null)?.reason;
  const text = typeof r === 'string' ? r.trim().slice(0, TEXT_MAX_LENGTH.reason) : '';
  return text.length > 0 ? text : '(no reason given)';
}

/** JSON with sorted keys: a stored payload (jsonb reorders keys) compared with a request's. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
