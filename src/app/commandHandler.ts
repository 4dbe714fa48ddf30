import { setTimeout as sleep } from 'node:timers/promises';
import {
  COMMAND_TYPES,
  DomainError,
  decide,
  decideCreation,
  evolve,
  invalid,
  isStorableText,
  jsonProblem,
  JSON_MAX_DEPTH,
  postingsFor,
  type Actor,
  type DecideContext,
  type DomainErrorCode,
  type Escrow,
  type LedgerEntry,
  type EscrowPolicy,
  type PaymentInstructions,
  type Rail,
  UNSTORABLE_TEXT_RULE,
} from '../domain/index.js';
import {
  toDomainCommand,
  type CommandEnvelope,
  type CommandRejection,
  type CommandResult,
  type WebhookMark,
} from './envelope.js';
import { derivedId, isUuid } from './ids.js';
import {
  VersionConflict,
  type AuditStore,
  type Clock,
  type CommandSink,
  type EscrowStore,
  type HandledCommand,
  type PaymentRail,
  type StoredEvent,
} from './ports/index.js';

export interface CommandObserver {
  /** Called after a command committed (not for duplicates or rejections). */
  committed?(handled: HandledCommand, durationMs: number, envelope: CommandEnvelope): void;
  rejected?(envelope: CommandEnvelope, error: DomainError, durationMs: number): void;
  /** Called when the command id had already been applied: answered with the first result, nothing written. */
  duplicate?(handled: HandledCommand, durationMs: number): void;
  /** Called on each version conflict: someone else changed the escrow; `retrying` unless attempts ran out. */
  conflict?(envelope: CommandEnvelope, attempt: number, retrying: boolean): void;
  /** Called when a refusal's audit row could not be written (the refusal is answered all the same). */
  auditFailed?(envelope: CommandEnvelope, error: unknown): void;
}

export interface CommandHandlerOptions {
  store: EscrowStore;
  clock: Clock;
  policy: EscrowPolicy;
  /** Attempts on a version conflict before giving up with VERSION_CONFLICT. */
  maxAttempts?: number;
  observers?: CommandObserver[];
  /** Escrows kept in memory after this process committed them (0 disables the cache). */
  cacheSize?: number;
  /** The enabled rails: a create's payment instructions come from its rail. */
  rails?: ReadonlyMap<Rail, PaymentRail>;
  /** Where refusals are audited (an accepted command's audit row is part of its commit). */
  audit?: AuditStore;
}

/** What decide() is told besides state and command; ids derive from the command id, so a retry decides the same. */
export const decideContext = (commandId: string, actor: Actor, now: string, policy: EscrowPolicy): DecideContext => ({
  now,
  actor,
  policy,
  newId: (purpose) => derivedId(`${commandId}:${purpose}`),
});

/**
 * The rail's payment instructions for a create decided up to them, idempotent at the rail on a key derived from the
 * create command: a retried create (or one decided again after a conflict) gets the same instructions.
 */
export const paymentInstructions = (
  rail: PaymentRail,
  escrowId: string,
  commandId: string,
  pending: { due: bigint; currency: string },
): Promise<PaymentInstructions> =>
  rail.createPaymentInstructions({
    escrowId,
    amount: pending.due,
    currency: pending.currency,
    idempotencyKey: `create:${commandId}`,
  });

/** A create on a rail this installation does not run. */
export function railNotEnabled(rail: unknown, rails: ReadonlyMap<Rail, PaymentRail> | undefined): DomainError {
  return new DomainError('VALIDATION_ERROR', `rail ${String(rail)} is not enabled`, {
    errors: [{ field: 'rail', message: `must be one of ${[...(rails?.keys() ?? [])].join(', ')}` }],
  });
}

/** Thrown inside an attempt to decide again on freshly loaded state, without counting a conflict. */
class Reload extends Error {}

/**
 * The one command path (SPEC §4): validate → load → decide (pure) → commit everything in one transaction.
 * Version conflicts are retried with jittered backoff; a repeated command id returns the first result.
 *
 * The state an escrow had after this process's last commit is kept in memory and used optimistically: the commit is
 * guarded by the version, so a stale copy (another process committed since) costs a version conflict and a reload,
 * never a wrong decision. A create needs no load at all. A hit saves the load round trip.
 */
export class CommandHandler implements CommandSink {
  private readonly maxAttempts: number;
  private readonly observers: CommandObserver[];
  private readonly cache = new Map<string, Escrow>();
  private readonly cacheSize: number;

  constructor(private readonly opts: CommandHandlerOptions) {
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.observers = opts.observers ?? [];
    this.cacheSize = opts.cacheSize ?? 10_000;
  }

  observe(o: CommandObserver): void {
    this.observers.push(o);
  }

  async handle(env: CommandEnvelope, webhook: WebhookMark | null = null): Promise<HandledCommand> {
    const started = performance.now();
    try {
      validateEnvelope(env, webhook);
      let optimistic = true;
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await this.attempt(env, webhook, optimistic);
          const ms = performance.now() - started;
          for (const o of this.observers) {
            if (out.duplicate) o.duplicate?.(out, ms);
            else o.committed?.(out, ms, env);
          }
          return out;
        } catch (err) {
          this.cache.delete(env.escrowId);
          if (err instanceof VersionConflict) {
            for (const o of this.observers) o.conflict?.(env, attempt, optimistic || attempt < this.maxAttempts);
          }
          if (err instanceof Reload || (err instanceof VersionConflict && optimistic)) {
            optimistic = false;
            continue;
          }
          if (!(err instanceof VersionConflict)) throw err;
          if (attempt >= this.maxAttempts) {
            throw new DomainError('VERSION_CONFLICT', `escrow ${env.escrowId} kept changing; retry the command`);
          }
          await sleep(Math.random() * Math.min(50, 2 ** attempt));
        }
      }
    } catch (err) {
      if (err instanceof DomainError) {
        if (env.recordRejection && isRecordable(env, err) && !replayedRefusals.has(err)) {
          await this.opts.store.recordRejection(
            env,
            { code: err.code, message: err.message, details: { ...err.details } },
            this.opts.clock.now().toISOString(),
          );
        }
        if (!replayedRefusals.has(err)) await this.auditRefusal(env, err);
        for (const o of this.observers) o.rejected?.(env, err, performance.now() - started);
      }
      throw err;
    }
  }

  private async attempt(
    env: CommandEnvelope,
    webhook: WebhookMark | null,
    optimistic: boolean,
  ): Promise<HandledCommand> {
    const { store, clock } = this.opts;
    const cached = optimistic ? this.cache.get(env.escrowId) : undefined;
    let before: Escrow | null;
    if (optimistic && (cached || env.type === 'CreateEscrow')) {
      before = cached ?? null;
    } else {
      const loaded = await store.load(env.escrowId, env.commandId);
      if (loaded.prior) return this.duplicateOf(env, loaded.prior, loaded.escrow);
      before = loaded.escrow;
    }
    const now = clock.now().toISOString();
    const domainEvents = await this.decide(env, before, now, optimistic);
    // A no-op commits without a version guard, so it is only decided on state read from the database.
    if (optimistic && domainEvents.length === 0) throw new Reload();
    let after = before;
    const postings: LedgerEntry[] = [];
    const events: StoredEvent[] = domainEvents.map((ev, i) => {
      const prev = after;
      after = evolve(after, { ...ev, escrowId: env.escrowId });
      const eventId = derivedId(`${env.commandId}:event:${i}`);
      for (const p of postingsFor(prev ?? after, ev)) postings.push({ ...p, transactionId: eventId });
      return {
        eventId,
        type: ev.type,
        escrowId: env.escrowId,
        sequence: after.version,
        occurredAt: ev.occurredAt,
        correlationId: env.correlationId,
        causationId: env.causationId ?? env.commandId,
        actor: env.actor,
        schemaVersion: 1,
        commandId: env.commandId,
        data: ev.data,
      };
    });
    if (!after) throw new Error('unreachable: a command on a missing escrow was accepted');
    const result: CommandResult = {
      commandId: env.commandId,
      escrowId: env.escrowId,
      type: env.type,
      fromStatus: before?.status ?? null,
      toStatus: after.status,
      version: after.version,
      eventIds: events.map((e) => e.eventId),
      ...(env.requestHash ? { requestHash: env.requestHash } : {}),
    };
    const outcome = await store.commit({ envelope: env, at: now, before, after, events, postings, result, webhook });
    if (outcome.duplicate) {
      // Another delivery of this command committed between our load and our commit.
      const current = await store.load(env.escrowId, env.commandId);
      return this.duplicateOf(env, outcome.result, current.escrow);
    }
    this.remember(after);
    return { result, escrow: after, duplicate: false, events };
  }

  /**
   * decide(), once. A create without payment instructions is decided up to them; the rail is asked only then (so
   * never for a refused create), outside any transaction, idempotently on the escrow id.
   */
  private async decide(env: CommandEnvelope, before: Escrow | null, now: string, optimistic: boolean) {
    const ctx = decideContext(env.commandId, env.actor, now, this.opts.policy);
    const command = toDomainCommand(env);
    let pending: ReturnType<typeof decideCreation>;
    try {
      if (command.type !== 'CreateEscrow' || command.payment) return decide(command, before, ctx);
      pending = decideCreation(command, before, ctx);
    } catch (err) {
      // On assumed state, a rejection is confirmed against the database (the command may be a duplicate, or the
      // copy stale) before it is reported.
      if (optimistic && err instanceof DomainError) throw new Reload();
      throw err;
    }
    const rail = this.opts.rails?.get(pending.rail);
    if (!rail) throw railNotEnabled(pending.rail, this.opts.rails);
    return pending.complete(await paymentInstructions(rail, env.escrowId, env.commandId, pending));
  }

  /**
   * The refusal's audit row; a failed write is reported to the observers, never to the caller. Public for the
   * refusals made before a command reaches this path (EscrowService: a rail not enabled, an id that is no UUID, a
   * create the Kafka-mode edge check refuses), so every refused command is audited the same way.
   */
  async auditRefusal(env: CommandEnvelope, err: DomainError): Promise<void> {
    const { audit, clock } = this.opts;
    if (!audit) return;
    const { commandId, type, escrowId, actor, payload, correlationId } = env;
    const refusal = { code: err.code, message: err.message, details: { ...err.details } };
    const at = clock.now().toISOString();
    try {
      await audit.recordRefusal({ commandId, type, escrowId, actor, payload, correlationId, at, ...refusal });
    } catch (failure) {
      for (const o of this.observers) o.auditFailed?.(env, failure);
    }
  }

  private remember(e: Escrow): void {
    if (this.cacheSize <= 0) return;
    this.cache.delete(e.id);
    this.cache.set(e.id, e);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** The first result of a repeated command id — unless the id was used for another command. */
  private duplicateOf(env: CommandEnvelope, prior: CommandResult, escrow: Escrow | null): HandledCommand {
    const otherRequest = env.requestHash != null && (prior.requestHash ?? null) !== env.requestHash;
    const refused = prior.rejection;
    if (prior.escrowId !== env.escrowId || prior.type !== env.type || otherRequest || (!escrow && !refused)) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        `command id ${env.commandId} was already used for ${prior.type} on escrow ${prior.escrowId}`,
      );
    }
    if (refused) throw recordedRefusal(refused);
    return { result: prior, escrow: escrow!, duplicate: true, events: [] };
  }
}

/** Refusals that are answers (kept as the command's outcome), as opposed to "try again" or "not yours". */
const UNRECORDED: ReadonlySet<DomainErrorCode> = new Set(['VERSION_CONFLICT', 'IDEMPOTENCY_KEY_REUSED']);
const isRecordable = (env: CommandEnvelope, err: DomainError) =>
  !UNRECORDED.has(err.code) &&
  isUuid(env.commandId) &&
  isUuid(env.escrowId) &&
  typeof env.actor?.id === 'string' &&
  isStorableText(env.actor.id);
/** Refusals read back from the record: not recorded again. */
const replayedRefusals = new WeakSet<DomainError>();
/** The recorded refusal of a command, as the error its redelivery answers. */
export function recordedRefusal(r: CommandRejection): DomainError {
  const err = new DomainError(r.code as DomainErrorCode, r.message, r.details);
  replayedRefusals.add(err);
  return err;
}
/** Whether a refusal is a command's recorded outcome (a redelivery) rather than a new decision. */
export const isRecordedRefusal = (err: DomainError): boolean => replayedRefusals.has(err);

function validateEnvelope(env: CommandEnvelope, webhook: WebhookMark | null): void {
  if (!isUuid(env.commandId)) throw invalid('commandId', 'must be a UUID');
  if (!isUuid(env.escrowId)) throw invalid('escrowId', 'must be a UUID');
  if (!COMMAND_TYPES.includes(env.type)) throw invalid('type', `must be one of ${COMMAND_TYPES.join(', ')}`);
  if (typeof env.actor?.id !== 'string' || env.actor.id.length === 0 || env.actor.id.length > 128) {
    throw invalid('actor.id', 'is required');
  }
  if (!['user', 'service', 'admin', 'system'].includes(env.actor.role)) throw invalid('actor.role', 'is not a role');
  if (typeof env.payload !== 'object' || env.payload === null) throw invalid('payload', 'must be an object');
  // Before anything is stored or batched: text PostgreSQL refuses (NUL, a lone surrogate) or nesting past the limit
  // is this command's error, never its batch's. The fields are named as the caller sent them (metadata.note).
  const problem =
    (isStorableText(env.actor.id) ? null : { field: 'actor.id', message: UNSTORABLE_TEXT_RULE }) ??
    jsonProblem(env.payload, { maxDepth: JSON_MAX_DEPTH }) ??
    (webhook ? jsonProblem(webhook.payload, { maxDepth: JSON_MAX_DEPTH }, 'webhook') : null);
  if (problem) throw invalid(problem.field, problem.message);
}
