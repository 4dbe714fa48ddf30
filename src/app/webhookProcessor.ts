import { DomainError } from '../domain/index.js';
import type { CommandHandler } from './commandHandler.js';
import { systemEnvelope, type CommandEnvelope } from './envelope.js';
import { isUuid } from './ids.js';
import type {
  Clock,
  EscrowReadModel,
  PaymentRail,
  VerifiedWebhook,
  WebhookAction,
  WebhookIntake,
  WebhookOutcome,
} from './ports/index.js';
import type { SettlementStore, WebhookStore } from './ports/index.js';

/**
 * Provider webhooks in (SPEC §6): verify the signature over the raw body (nothing is stored when it fails), then turn
 * the event into a command whose transaction also stores the raw event as processed. A failure stores it unprocessed
 * with the error, for the provider's retry or `escrow webhooks reprocess`; a duplicate of a processed event has no
 * second effect.
 */
export class WebhookProcessor implements WebhookIntake {
  constructor(
    private readonly deps: {
      /** The enabled rails. */
      rails: Iterable<PaymentRail>;
      webhooks: WebhookStore;
      settlements: SettlementStore;
      readModel: EscrowReadModel;
      handler: CommandHandler;
      clock: Clock;
    },
  ) {
    for (const r of deps.rails) this.byProvider.set(r.provider, r);
  }

  private readonly byProvider = new Map<string, PaymentRail>();

  /** Throws WebhookSignatureError (→ 400/401) when the signature fails, VALIDATION_ERROR for a provider not enabled. */
  verify(provider: string, rawBody: string, headers: Record<string, string | undefined>): Promise<VerifiedWebhook> {
    const adapter = this.byProvider.get(provider);
    if (!adapter) throw new DomainError('VALIDATION_ERROR', `webhook provider ${provider} is not enabled`);
    return adapter.verifyWebhook(rawBody, headers);
  }

  async receive(
    provider: string,
    rawBody: string,
    headers: Record<string, string | undefined>,
  ): Promise<WebhookOutcome> {
    const { action, payload } = await this.verify(provider, rawBody, headers);
    return this.process(provider, action, payload);
  }

  /**
   * Processes a verified event. On success the raw event is stored, marked processed, in the command's own
   * transaction; on failure it is stored unprocessed with the error (never lost, never marked done).
   */
  async process(provider: string, action: WebhookAction, payload: unknown): Promise<WebhookOutcome> {
    const { webhooks, handler, readModel, settlements, clock } = this.deps;
    const mark = { provider, eventId: action.eventId, type: action.kind, payload, outcome: 'APPLIED' };
    const fail = async (error: string): Promise<WebhookOutcome> => {
      await webhooks.recordFailure(provider, action.eventId, action.kind, payload, error);
      return { status: 'failed', error };
    };
    const envelope = (type: CommandEnvelope['type'], escrowId: string, body: object): CommandEnvelope =>
      systemEnvelope({
        key: `webhook:${provider}:${action.eventId}`,
        type,
        escrowId,
        actorId: `webhook:${provider}`,
        correlationId: `${provider}:${action.eventId}`,
        payload: body as never,
        now: clock.now(),
      });
    try {
      switch (action.kind) {
        case 'payment.succeeded':
        case 'payment.failed': {
          const escrow = await readModel.findByPaymentReference(action.reference);
          // Recorded for operators (`escrow webhooks failed`), not silently dropped.
          if (!escrow) return await fail(`UNKNOWN_REFERENCE: no escrow has payment reference ${action.reference}`);
          const cmd =
            action.kind === 'payment.succeeded'
              ? envelope('ReceivePayment', escrow.id, {
                  providerEventId: action.eventId,
                  transactionId: action.transactionId,
                  amount: action.amount,
                  currency: action.currency,
                })
              : envelope('RecordPaymentFailure', escrow.id, {
                  providerEventId: action.eventId,
                  ...(action.transactionId ? { transactionId: action.transactionId } : {}),
                  reason: action.reason,
                });
          const out = await handler.handle(cmd, mark);
          // The command id derives from the provider's event id: a redelivery is a duplicate command.
          if (out.duplicate) return { status: 'duplicate' };
          return { status: 'processed', outcome: out.result.toStatus, escrowId: escrow.id };
        }
        case 'settlement.succeeded':
        case 'settlement.failed': {
          // Settlement ids are ours, UUIDs: any other id can never match (and must not reach a uuid column), so it is
          // acknowledged and stored as unmatched for operators, not refused, which a provider would retry for days.
          if (!isUuid(action.settlementId)) {
            await webhooks.recordProcessed(provider, action.eventId, action.kind, payload, 'UNMATCHED');
            return { status: 'processed', outcome: 'UNMATCHED', escrowId: null };
          }
          const escrowId = await settlements.findEscrowOf(action.settlementId);
          if (!escrowId) return await fail(`UNKNOWN_SETTLEMENT: no settlement ${action.settlementId}`);
          const out = await handler.handle(
            envelope('RecordSettlementResult', escrowId, {
              settlementId: action.settlementId,
              ...(action.kind === 'settlement.succeeded'
                ? { outcome: 'SUCCEEDED', providerReference: action.providerReference }
                : { outcome: 'FAILED', reason: action.reason }),
            }),
            mark,
          );
          if (out.duplicate) return { status: 'duplicate' };
          return { status: 'processed', outcome: out.result.toStatus, escrowId };
        }
        case 'payment.pending':
        case 'payment.disputed':
        case 'settlement.reversed':
        case 'not_supported':
          await webhooks.recordProcessed(provider, action.eventId, action.kind, payload, 'NOT_SUPPORTED');
          return { status: 'processed', outcome: 'NOT_SUPPORTED', escrowId: null };
        default: {
          const _exhaustive: never = action;
          throw new Error(`unknown webhook action ${JSON.stringify(_exhaustive)}`);
        }
      }
    } catch (err) {
      const message = err instanceof DomainError ? `${err.code}: ${err.message}` : String(err);
      const out = await fail(message);
      if (err instanceof DomainError) return out;
      throw err;
    }
  }
}
