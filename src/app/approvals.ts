import { DomainError, invalid, type Actor, type CommandType, type Escrow, type EscrowPolicy } from '../domain/index.js';
import {
  adminOnly,
  amountMoving,
  canonical,
  decideNow,
  isApprovalCommand,
  proposalReason,
  reasonOf,
  thresholdExceeded,
} from './approvalRules.js';
import type { CommandEnvelope } from './envelope.js';
import type { ApprovalGate, SubmitOptions } from './escrowService.js';
import { derivedId } from './ids.js';
import type { Clock, HandledCommand } from './ports/index.js';
import {
  APPROVAL_STATUSES,
  type Approval,
  type ApprovalCommandType,
  type ApprovalStatus,
  type ApprovalStore,
} from './ports/approvalStore.js';

/** Proposals per page of the list: the default and the most a caller may ask for. */
export const APPROVAL_LIST = { default: 20, max: 100 } as const;

/** Refusals of the approver rather than of the proposal: the claim is given back and the proposal stays PENDING. */
const APPROVER_REFUSALS = new Set(['FORBIDDEN', 'PAUSED', 'BLACKLISTED']);

/** Who marks a proposal EXPIRED when someone tries to decide it too late. */
const EXPIRY_ACTOR: Actor = { id: 'system:approvals', role: 'system' };

/** Thrown by the command path's entry (EscrowService.execute) instead of applying: the proposal waiting (202). */
export class ApprovalRequired extends Error {
  override readonly name = 'ApprovalRequired';
  constructor(readonly approval: Approval) {
    super(`${approval.commandType} of ${approval.amount} ${approval.currency} needs a second admin's approval`);
  }
}

/** How an approved command is applied: EscrowService.execute (the normal command path). */
export interface ApprovalCommands {
  execute(
    type: ApprovalCommandType,
    escrowId: string,
    actor: Actor,
    payload: never,
    opts: SubmitOptions,
  ): Promise<HandledCommand>;
}

/** What approve or reject did; with `dryRun` what it would do (stored nowhere, not audited). */
export interface ApprovalOutcome {
  dryRun: boolean;
  approval: Approval;
  /** Approve: the escrow after the command (a dry run: as it is now). */
  escrow?: Escrow;
  /** An approve's dry run: the events the command would record now. */
  events?: { type: string; data: unknown }[];
  /** The proposal was approved already (a retry): nothing was applied again. */
  replayed?: boolean;
}

/** An admin command's dry run: the events it would record now and whether it would wait for a second admin. */
export interface ActionPreview {
  dryRun: true;
  escrowId: string;
  command: CommandType;
  events: { type: string; data: unknown }[];
  approval: { required: boolean; amount?: string; currency?: string; threshold?: string };
}

export interface DecisionInput {
  reason: string;
  dryRun?: boolean;
}

/**
 * Dual control (SPEC §8, seed 003: the treasury is 2-of-3). An admin's ReleaseEscrow, RefundEscrow or ResolveDispute
 * that moves more than ADMIN_APPROVAL_THRESHOLD of its currency is not applied: a PENDING proposal is stored (audited)
 * and ApprovalRequired thrown. A different admin approves it within ADMIN_APPROVAL_TTL_HOURS: the proposer's command
 * then runs through the normal command path as the approver, with a command id derived from the proposal (applied
 * once however often the approval is retried or raced). The proposer may not approve (SELF_APPROVAL), but may reject
 * (withdraw) it. Service, system and user callers are never held: only admins are.
 */
export class ApprovalService implements ApprovalGate {
  constructor(
    private readonly deps: {
      store: ApprovalStore;
      clock: Clock;
      /** Minor units per currency; empty: dual control is off. */
      thresholds: Readonly<Record<string, bigint>>;
      ttlMs: number;
      policy: EscrowPolicy;
      /** The escrow a command names (the read model). */
      escrows: { getEscrow(escrowId: string): Promise<Escrow | null> };
      /** The command path, bound late (it holds this gate). */
      commands: () => ApprovalCommands;
    },
  ) {}

  /** Whether this command type may need approval: no query (the command path's hot path). */
  covers(type: CommandType): boolean {
    return isApprovalCommand(type) && Object.keys(this.deps.thresholds).length > 0;
  }

  /**
   * An admin's command above the threshold: stores the proposal and throws ApprovalRequired. Anything else returns
   * and goes on to the command path, a command the domain refuses too (it is refused and audited there).
   */
  async screen(env: CommandEnvelope): Promise<void> {
    if (env.actor.role !== 'admin' || !this.covers(env.type)) return;
    const escrow = await this.deps.escrows.getEscrow(env.escrowId);
    const moving = escrow && amountMoving(env.type, escrow, env.payload);
    if (!escrow || !moving || thresholdExceeded(this.deps.thresholds, moving) === null) return;
    const now = this.deps.clock.now();
    try {
      decideNow(env.type, escrow, env.actor, env.payload, { now: now.toISOString(), policy: this.deps.policy });
    } catch (err) {
      if (err instanceof DomainError) return;
      throw err;
    }
    // a keyed request retried lands on the same proposal
    const id = derivedId(`approval:${env.commandId}`);
    const { approval } = await this.deps.store.propose({
      id,
      escrowId: env.escrowId,
      commandType: env.type as ApprovalCommandType,
      payload: env.payload,
      amount: moving.amount.toString(),
      currency: moving.currency,
      proposedBy: env.actor.id,
      proposedRole: env.actor.role,
      reason: proposalReason(env.payload),
      expiresAt: new Date(now.getTime() + this.deps.ttlMs).toISOString(),
      commandId: derivedId(`approval-command:${id}`),
      createdAt: now.toISOString(),
    });
    const same =
      approval.escrowId === env.escrowId &&
      approval.commandType === env.type &&
      canonical(approval.payload) === canonical(env.payload);
    if (!same) {
      throw new DomainError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request');
    }
    throw new ApprovalRequired(approval);
  }

  /** An admin command's dry run (the CLI's --dry-run): what it would record now, and whether it needs approval. */
  async preview(actor: Actor, type: CommandType, escrowId: string, payload: unknown): Promise<ActionPreview> {
    const escrow = await this.deps.escrows.getEscrow(escrowId);
    if (!escrow) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${escrowId} not found`);
    const now = this.deps.clock.now().toISOString();
    const events = decideNow(type, escrow, actor, payload, { now, policy: this.deps.policy });
    const moving = actor.role === 'admin' && this.covers(type) ? amountMoving(type, escrow, payload) : null;
    const threshold = moving && thresholdExceeded(this.deps.thresholds, moving);
    const approval =
      moving && threshold !== null
        ? {
            required: true,
            amount: moving.amount.toString(),
            currency: moving.currency,
            threshold: threshold.toString(),
          }
        : { required: false };
    return { dryRun: true, escrowId, command: type, events, approval };
  }

  /** The proposals, newest first (a PENDING one past its expiry reads EXPIRED). */
  async list(actor: Actor, filter: { status?: string; limit?: number } = {}): Promise<Approval[]> {
    adminOnly(actor, 'list approvals');
    const limit = filter.limit ?? APPROVAL_LIST.default;
    if (!Number.isInteger(limit) || limit < 1 || limit > APPROVAL_LIST.max) {
      throw invalid('limit', `must be 1-${APPROVAL_LIST.max}`);
    }
    const status = filter.status;
    if (status !== undefined && !(APPROVAL_STATUSES as readonly string[]).includes(status)) {
      throw invalid('status', `must be one of ${APPROVAL_STATUSES.join(', ')}`);
    }
    const now = this.deps.clock.now().toISOString();
    return this.deps.store.list({ ...(status ? { status: status as ApprovalStatus } : {}), limit, now });
  }

  /** Approves another admin's proposal: its command runs now as `actor` (dry run: what it would record). */
  async approve(actor: Actor, id: string, input: DecisionInput): Promise<ApprovalOutcome> {
    adminOnly(actor, 'approve');
    const reason = reasonOf(input.reason);
    const now = this.deps.clock.now().toISOString();
    const a = await this.found(id, now);
    if (a.proposedBy === actor.id) {
      throw new DomainError(
        'SELF_APPROVAL',
        `approval ${a.id} was proposed by ${a.proposedBy}: a different admin must approve it (dual control)`,
      );
    }
    if (a.status === 'APPROVED') return { dryRun: input.dryRun === true, approval: a, replayed: true };
    // APPROVING: an approval claimed it and did not finish (a crash, Kafka's reply not yet in): this one finishes it
    if (a.status !== 'APPROVING') await this.pending(a, actor, now, input.dryRun === true);
    if (input.dryRun) {
      const escrow = await this.escrowOf(a);
      const events = decideNow(a.commandType, escrow, actor, a.payload, { now, policy: this.deps.policy });
      return { dryRun: true, approval: decided(a, 'APPROVED', actor, reason, now), escrow, events };
    }
    // claimed before the command runs: a reject or the expiry can no longer land while the money moves
    if (a.status === 'PENDING' && !(await this.deps.store.claim(id, actor, now))) {
      return this.approve(actor, id, input);
    }
    let handled: HandledCommand;
    try {
      handled = await this.deps.commands().execute(a.commandType, a.escrowId, actor, a.payload as never, {
        commandId: a.commandId,
        correlationId: a.id,
        approved: true,
      });
    } catch (err) {
      if (err instanceof DomainError && APPROVER_REFUSALS.has(err.code)) {
        // refused for who approves or when (a party to the escrow, a pause), not for the proposal: it waits on
        await this.deps.store.unclaim(id, now);
      } else if (err instanceof DomainError && err.code !== 'VERSION_CONFLICT') {
        const result = { code: err.code, message: err.message };
        await this.deps.store.decide({ id, status: 'FAILED', actor, reason, at: now, result });
      }
      throw err;
    }
    const { escrow } = handled;
    const result = { toStatus: escrow.status, version: escrow.version, duplicate: handled.duplicate };
    const stored = await this.deps.store.decide({ id, status: 'APPROVED', actor, reason, at: now, result });
    return { dryRun: false, approval: stored ?? (await this.found(id, now)), escrow };
  }

  /** Rejects a proposal (its proposer too: a withdrawal); nothing is applied. */
  async reject(actor: Actor, id: string, input: DecisionInput): Promise<ApprovalOutcome> {
    adminOnly(actor, 'reject');
    const reason = reasonOf(input.reason);
    const now = this.deps.clock.now().toISOString();
    const a = await this.found(id, now);
    await this.pending(a, actor, now, input.dryRun === true);
    if (input.dryRun) return { dryRun: true, approval: decided(a, 'REJECTED', actor, reason, now) };
    const stored = await this.deps.store.decide({ id, status: 'REJECTED', actor, reason, at: now, result: null });
    if (stored) return { dryRun: false, approval: stored };
    // decided by someone else meanwhile: say how
    const current = await this.found(id, now);
    await this.pending(current, actor, now, true);
    return { dryRun: false, approval: current };
  }

  private async found(id: string, now: string): Promise<Approval> {
    const a = /^[0-9a-f-]{36}$/i.test(id) ? await this.deps.store.get(id, now) : null;
    if (!a) throw new DomainError('APPROVAL_NOT_FOUND', `approval ${id} not found (escrow approvals list)`);
    return a;
  }

  /** Throws unless `a` is still PENDING; one found expired is marked EXPIRED (audited) unless this is a dry run. */
  private async pending(a: Approval, actor: Actor, now: string, dryRun: boolean): Promise<void> {
    if (a.status === 'EXPIRED') {
      if (!dryRun && a.decidedAt === null) {
        const reason = `not approved before ${a.expiresAt} (ADMIN_APPROVAL_TTL_HOURS)`;
        const details = { attemptedBy: actor.id };
        await this.deps.store.decide({
          id: a.id,
          status: 'EXPIRED',
          actor: EXPIRY_ACTOR,
          reason,
          at: now,
          result: null,
          details,
        });
      }
      throw new DomainError(
        'APPROVAL_EXPIRED',
        `approval ${a.id} expired at ${a.expiresAt}; nothing was applied: propose the action again if still needed`,
      );
    }
    if (a.status !== 'PENDING') {
      throw new DomainError(
        'APPROVAL_ALREADY_DECIDED',
        `approval ${a.id} is ${a.status} (by ${a.decidedBy ?? '?'}: ${a.decidedReason ?? ''})`,
        { currentStatus: a.status },
      );
    }
  }

  private async escrowOf(a: Approval): Promise<Escrow> {
    const escrow = await this.deps.escrows.getEscrow(a.escrowId);
    if (!escrow) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${a.escrowId} not found`);
    return escrow;
  }
}

/** How a proposal would read once decided (a dry run's answer). */
const decided = (a: Approval, status: ApprovalStatus, actor: Actor, reason: string, at: string): Approval => ({
  ...a,
  status,
  decidedBy: actor.id,
  decidedReason: reason,
  decidedAt: at,
  updatedAt: at,
});
