import { DomainError, type DomainErrorCode, type Escrow } from '../domain/index.js';
import { recordedRefusal } from './commandHandler.js';
import type { CommandSink, HandledCommand } from './ports/index.js';
import type { CommandEnvelope, CommandResult } from './envelope.js';
import type { CommandOutcomes, CommandTransport } from './ports/index.js';

/** The command was accepted (it is on the broker) but its outcome did not arrive within the reply timeout. */
export class CommandPending extends Error {
  override readonly name = 'CommandPending';
  constructor(readonly commandId: string) {
    super(`command ${commandId} accepted; not processed yet`);
  }
}

/**
 * Waits for command outcomes: woken by NOTIFY from the workers (PostgreSQL), and polling the outcomes of every
 * command still awaited in one query as a fallback, so a lost notification costs latency, never an answer.
 */
export class OutcomeWaiter {
  private readonly waiting = new Map<string, Set<() => void>>();
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(
    private readonly outcomes: Pick<CommandOutcomes, 'withOutcome'>,
    private readonly pollMs = 100,
  ) {}

  /** Resolves true when the command has an outcome, false after `timeoutMs`. */
  wait(commandId: string, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout);
        resolve(true);
      };
      const timeout = setTimeout(() => {
        this.forget(commandId, done);
        resolve(false);
      }, timeoutMs);
      let set = this.waiting.get(commandId);
      if (!set) this.waiting.set(commandId, (set = new Set()));
      set.add(done);
      this.timer ??= setInterval(() => void this.poll(), this.pollMs);
    });
  }

  /** Outcomes are ready for these ids (a NOTIFY from a worker, or this process applied them). */
  ready(ids: Iterable<string>): void {
    for (const id of ids) {
      const set = this.waiting.get(id);
      if (!set) continue;
      this.waiting.delete(id);
      for (const done of set) done();
    }
    this.idle();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private forget(id: string, done: () => void): void {
    const set = this.waiting.get(id);
    set?.delete(done);
    if (set?.size === 0) this.waiting.delete(id);
    this.idle();
  }

  private idle(): void {
    if (this.waiting.size === 0) this.close();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.waiting.size === 0) return;
    this.polling = true;
    try {
      this.ready(await this.outcomes.withOutcome([...this.waiting.keys()]));
    } catch {
      // the next tick tries again; the request's own timeout bounds the wait
    } finally {
      this.polling = false;
    }
  }
}

/**
 * The API side of Kafka mode (SPEC §4): a command is produced to the commands topic and its outcome awaited up to the
 * reply timeout — the escrow (200), the refusal, or CommandPending (202 with the command id). The command id is the
 * idempotency key all the way: a keyed command that already has an outcome is answered from it without producing again, and
 * a command produced twice is applied once by the workers.
 */
export class RemoteCommandGateway implements CommandSink {
  constructor(
    private readonly deps: {
      transport: CommandTransport;
      outcomes: CommandOutcomes;
      waiter: OutcomeWaiter;
      replyTimeoutMs: number;
      now: () => Date;
    },
  ) {}

  async handle(command: CommandEnvelope): Promise<HandledCommand> {
    // Every command from a client keeps its refusal as its outcome: that is how the API learns it, and how a
    // redelivery is kept from applying what was refused.
    const env: CommandEnvelope = { ...command, recordRejection: true };
    // Only a keyed command's id can have been seen before (an unkeyed one is fresh): answer it from its outcome.
    const prior = env.requestHash ? await this.deps.outcomes.commandOutcome(env.commandId, env.escrowId) : null;
    if (prior) return this.answer(env, prior, true);
    await this.deps.transport.send(env);
    if (await this.deps.waiter.wait(env.commandId, this.deps.replyTimeoutMs)) {
      const outcome = await this.deps.outcomes.commandOutcome(env.commandId, env.escrowId);
      if (outcome) return this.answer(env, outcome, false);
    }
    await this.deps.outcomes.markSubmitted(env, this.deps.now().toISOString());
    throw new CommandPending(env.commandId);
  }

  private answer(
    env: CommandEnvelope,
    { result: r, escrow }: { result: CommandResult; escrow: Escrow | null },
    duplicate: boolean,
  ): HandledCommand {
    const otherRequest = env.requestHash != null && (r.requestHash ?? null) !== env.requestHash;
    if (r.escrowId !== env.escrowId || r.type !== env.type || otherRequest) {
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        `command id ${env.commandId} was already used for ${r.type} on escrow ${r.escrowId}`,
      );
    }
    if (r.rejection) {
      throw duplicate
        ? recordedRefusal(r.rejection)
        : new DomainError(r.rejection.code as DomainErrorCode, r.rejection.message, r.rejection.details);
    }
    if (!escrow) throw new Error(`escrow ${r.escrowId} of command ${r.commandId} is missing`);
    return { result: r, escrow, duplicate, events: [] };
  }
}
