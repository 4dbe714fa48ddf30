import { setTimeout as sleep } from 'node:timers/promises';
import {
  COMMAND_TYPES,
  DomainError,
  decide,
  evolve,
  invalid,
  postingsFor,
  type Escrow,
  type LedgerEntry,
  type EscrowPolicy,
} from '../domain/index.js';
import { toDomainCommand, type CommandEnvelope, type CommandResult, type WebhookMark } from './envelope.js';
import { derivedId, isUuid } from './ids.js';
import { VersionConflict, type Clock, type EscrowStore, type StoredEvent } from './ports.js';

export interface HandledCommand {
  result: CommandResult;
  /** The escrow after the command (for a duplicate: as it is now). */
  escrow: Escrow;
  duplicate: boolean;
  events: StoredEvent[];
}

export interface CommandObserver {
  /** Called after a command committed (not for duplicates or rejections). */
  committed?(handled: HandledCommand, durationMs: number): void;
  rejected?(envelope: CommandEnvelope, error: DomainError, durationMs: number): void;
}

export interface CommandHandlerOptions {
  store: EscrowStore;
  clock: Clock;
  policy: EscrowPolicy;
  /** Attempts on a version conflict before giving up with VERSION_CONFLICT. */
  maxAttempts?: number;
  observers?: CommandObserver[];
}

/**
 * The one command path (SPEC §4): validate → load → decide (pure) → commit everything in one transaction.
 * Version conflicts are retried with jittered backoff; a repeated command id returns the first result.
 */
export class CommandHandler {
  private readonly maxAttempts: number;
  private readonly observers: CommandObserver[];

  constructor(private readonly opts: CommandHandlerOptions) {
    this.maxAttempts = opts.maxAttempts ?? 8;
    this.observers = opts.observers ?? [];
  }

  observe(o: CommandObserver): void {
    this.observers.push(o);
  }

  async handle(env: CommandEnvelope, webhook: WebhookMark | null = null): Promise<HandledCommand> {
    const started = performance.now();
    try {
      validateEnvelope(env);
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await this.attempt(env, webhook);
          if (!out.duplicate) for (const o of this.observers) o.committed?.(out, performance.now() - started);
          return out;
        } catch (err) {
          if (!(err instanceof VersionConflict)) throw err;
          if (attempt >= this.maxAttempts) {
            throw new DomainError('VERSION_CONFLICT', `escrow ${env.escrowId} kept changing; retry the command`);
          }
          await sleep(Math.random() * Math.min(50, 2 ** attempt));
        }
      }
    } catch (err) {
      if (err instanceof DomainError) {
        for (const o of this.observers) o.rejected?.(env, err, performance.now() - started);
      }
      throw err;
    }
  }

  private async attempt(env: CommandEnvelope, webhook: WebhookMark | null): Promise<HandledCommand> {
    const { store, clock, policy } = this.opts;
    const loaded = await store.load(env.escrowId, env.commandId);
    if (loaded.prior) return this.duplicateOf(env, loaded.prior, loaded.escrow);
    const before = loaded.escrow;
    const now = clock.now().toISOString();
    const domainEvents = decide(toDomainCommand(env), before, {
      now,
      actor: env.actor,
      policy,
      newId: (purpose) => derivedId(`${env.commandId}:${purpose}`),
    });
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
    };
    const outcome = await store.commit({ envelope: env, at: now, before, after, events, postings, result, webhook });
    if (outcome.duplicate) {
      // Another delivery of this command committed between our load and our commit.
      const current = await store.load(env.escrowId, env.commandId);
      return this.duplicateOf(env, outcome.result, current.escrow);
    }
    return { result, escrow: after, duplicate: false, events };
  }

  /** The first result of a repeated command id — unless the id was used for another command. */
  private duplicateOf(env: CommandEnvelope, prior: CommandResult, escrow: Escrow | null): HandledCommand {
    if (prior.escrowId !== env.escrowId || prior.type !== env.type || !escrow) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        `command id ${env.commandId} was already used for ${prior.type} on escrow ${prior.escrowId}`,
      );
    }
    return { result: prior, escrow, duplicate: true, events: [] };
  }
}

function validateEnvelope(env: CommandEnvelope): void {
  if (!isUuid(env.commandId)) throw invalid('commandId', 'must be a UUID');
  if (!isUuid(env.escrowId)) throw invalid('escrowId', 'must be a UUID');
  if (!COMMAND_TYPES.includes(env.type)) throw invalid('type', `must be one of ${COMMAND_TYPES.join(', ')}`);
  if (typeof env.actor?.id !== 'string' || env.actor.id.length === 0 || env.actor.id.length > 128) {
    throw invalid('actor.id', 'is required');
  }
  if (!['user', 'service', 'admin', 'system'].includes(env.actor.role)) throw invalid('actor.role', 'is not a role');
  if (typeof env.payload !== 'object' || env.payload === null) throw invalid('payload', 'must be an object');
}
