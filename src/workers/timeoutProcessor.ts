import { DomainError } from '../domain/index.js';
import type { CommandHandler } from '../app/commandHandler.js';
import { systemEnvelope } from '../app/envelope.js';
import type { Clock } from '../app/ports/index.js';
import type { DueTimeout, TimeoutRunner, TimeoutRunSummary, TimeoutStore } from '../app/ports/index.js';

export interface TimeoutOptions {
  store: TimeoutStore;
  handler: CommandHandler;
  clock: Clock;
  deliveredAction: 'REFUND' | 'RELEASE';
  /** FEATURE_AUTO_REFUND: when false, the REFUND action is not applied automatically. */
  autoRefund: boolean;
  batchSize?: number;
  onError?: (err: unknown, escrowId: string) => void;
}

/**
 * The `timeouts` role (SPEC §7). It only submits commands, with ids derived from the escrow and its version: two
 * processors (or a manual run) racing on one escrow submit the same command id, and it applies once.
 */
export class TimeoutProcessor implements TimeoutRunner {
  constructor(private readonly o: TimeoutOptions) {}

  get appliesConfirmationTimeouts(): boolean {
    return this.o.deliveredAction === 'RELEASE' || this.o.autoRefund;
  }

  async runOnce(opts: { dryRun?: boolean } = {}): Promise<TimeoutRunSummary> {
    const now = this.o.clock.now();
    const limit = this.o.batchSize ?? 500;
    const payment = await this.o.store.duePaymentDeadlines(now, limit);
    const confirmation = this.appliesConfirmationTimeouts
      ? await this.o.store.dueConfirmationDeadlines(now, limit)
      : [];
    const summary: TimeoutRunSummary = {
      expired: 0,
      deliveryTimeouts: 0,
      skipped: 0,
      due: [
        ...payment.map((d) => ({ kind: 'PAYMENT_DEADLINE' as const, escrowId: d.escrowId, deadline: d.deadline })),
        ...confirmation.map((d) => ({
          kind: 'CONFIRMATION_DEADLINE' as const,
          escrowId: d.escrowId,
          deadline: d.deadline,
        })),
      ],
    };
    if (opts.dryRun) return summary;
    for (const d of payment) {
      if (await this.submit(d, 'ExpireEscrow', {})) summary.expired++;
      else summary.skipped++;
    }
    for (const d of confirmation) {
      if (await this.submit(d, 'ApplyDeliveryTimeout', { action: this.o.deliveredAction })) summary.deliveryTimeouts++;
      else summary.skipped++;
    }
    return summary;
  }

  /** Milliseconds until the next known deadline (for the loop's early wake-up), or undefined. */
  async msUntilNextDeadline(): Promise<number | undefined> {
    const next = await this.o.store.nextDeadline(this.appliesConfirmationTimeouts);
    return next ? Math.max(0, next.getTime() - this.o.clock.now().getTime()) : undefined;
  }

  private async submit(
    d: DueTimeout,
    type: 'ExpireEscrow' | 'ApplyDeliveryTimeout',
    payload: object,
  ): Promise<boolean> {
    try {
      const out = await this.o.handler.handle(
        systemEnvelope({
          key: `timeout:${type}:${d.escrowId}:${d.version}`,
          type,
          escrowId: d.escrowId,
          actorId: 'worker:timeouts',
          correlationId: `timeout:${d.escrowId}`,
          payload: payload as never,
          now: this.o.clock.now(),
        }),
      );
      return !out.duplicate;
    } catch (err) {
      // Someone acted first (the buyer confirmed, another processor expired it): nothing to do.
      if (err instanceof DomainError && ['INVALID_STATE_TRANSITION', 'DEADLINE_NOT_REACHED'].includes(err.code)) {
        return false;
      }
      // One escrow failing (a database error, a persistent conflict) must not stop the batch; the next run retries.
      this.o.onError?.(err, d.escrowId);
      return false;
    }
  }
}
