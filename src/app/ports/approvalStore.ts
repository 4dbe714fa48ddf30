import type { Actor } from '../../domain/index.js';

/** The commands dual control holds for a second admin: they move money out of holding. */
export type ApprovalCommandType = 'ReleaseEscrow' | 'RefundEscrow' | 'ResolveDispute' | 'ReleaseMilestone';

export const APPROVAL_COMMANDS: readonly ApprovalCommandType[] = [
  'ReleaseEscrow',
  'RefundEscrow',
  'ResolveDispute',
  'ReleaseMilestone',
];

/**
 * PENDING until decided once: APPROVED (applied), REJECTED, EXPIRED (past `expiresAt`) or FAILED (refused then).
 * APPROVING: a second admin's approval is applying it (claimed first, so it can no longer be rejected or expire);
 * one left APPROVING by a crash is finished by approving it again (the command applies once: its id is derived).
 */
export type ApprovalStatus = 'PENDING' | 'APPROVING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'PENDING',
  'APPROVING',
  'APPROVED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
];

/** One proposed admin action and its decision. */
export interface Approval {
  id: string;
  escrowId: string;
  commandType: ApprovalCommandType;
  /** The proposer's command payload, applied as is on approval. */
  payload: Record<string, unknown>;
  /** What the command moves out of holding, minor units as a digit string. */
  amount: string;
  currency: string;
  proposedBy: string;
  proposedRole: string;
  /** The proposer's reason (the command's own, or why it was proposed). */
  reason: string;
  /** A PENDING proposal past `expiresAt` reads as EXPIRED. */
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedReason: string | null;
  decidedAt: string | null;
  expiresAt: string;
  /** The id the command is applied with (derived from the proposal's id: applied at most once). */
  commandId: string;
  /** APPROVED: the command's outcome (`toStatus`, `version`); FAILED: the problem (`code`, `message`). */
  result: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
}

export type NewApproval = Omit<
  Approval,
  'status' | 'decidedBy' | 'decidedReason' | 'decidedAt' | 'result' | 'updatedAt'
>;

/** A PENDING (or, for APPROVED and FAILED, APPROVING) proposal decided: by whom, why, the outcome, the audit row. */
export interface ApprovalDecision {
  id: string;
  status: Exclude<ApprovalStatus, 'PENDING' | 'APPROVING'>;
  actor: Actor;
  reason: string;
  at: string;
  result: Record<string, unknown> | null;
  /** The audit row's details beyond the proposal and the decision. */
  details?: Record<string, unknown>;
}

export interface ApprovalStore {
  /**
   * Stores a PENDING proposal with its `approval.proposed` audit row, in one transaction. The same id again (a
   * retried request) stores nothing and answers the proposal already there (`created: false`).
   */
  propose(a: NewApproval): Promise<{ approval: Approval; created: boolean }>;
  /** One proposal, its status as of `now` (a PENDING one past its expiry reads EXPIRED); null when there is none. */
  get(id: string, now: string): Promise<Approval | null>;
  /** The proposals, newest first, with this status as of `now` (any when absent), at most `limit`. */
  list(filter: { status?: ApprovalStatus; limit: number; now: string }): Promise<Approval[]>;
  /**
   * Claims a PENDING proposal not past its expiry for `actor`'s approval (APPROVING); null when it was not PENDING or
   * had expired (nothing was written). From then on it cannot be rejected or expire.
   */
  claim(id: string, actor: Actor, at: string): Promise<Approval | null>;
  /** Gives a claim back (the approver was refused for who they are, not for the proposal): PENDING again. */
  unclaim(id: string, at: string): Promise<void>;
  /**
   * Decides a proposal with its `approval.<status>` audit row naming proposer and decider, in one transaction:
   * REJECTED and EXPIRED only a PENDING one, APPROVED and FAILED a PENDING or APPROVING one; null when it was in
   * neither (someone else decided it first: nothing was written).
   */
  decide(d: ApprovalDecision): Promise<Approval | null>;
}
