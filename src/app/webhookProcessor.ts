import { DomainError, type Actor, type Rail } from '../domain/index.js';
import type { CommandHandler } from './commandHandler.js';
import type { CommandEnvelope } from './envelope.js';
import { derivedId } from './ids.js';
import type { Clock, EscrowReadModel, PaymentRail, WebhookAction } from './ports/index.js';
import type { SettlementStore, WebhookStore } from './ports/index.js';

export type WebhookOutcome =
  | { status: 'processed'; outcome: string; escrowId: string | null }
  | { status: 'duplicate' }
  | { status: 'failed'; error: string };

export const PROVIDER_RAILS: Readonly<Record<string, Rail>> = {
  sandbox: 'SANDBOX',
  stripe: 'STRIPE',
  custodian: 'USDC_BASE',
  paystack: 'PAYSTACK',
};

/**
 * Provider webhooks in (SPEC §6): verify the signature over the raw body (nothing is stored when it fails), then turn
 * the event into a command whose transaction also stores the raw event as processed. A failure stores it unprocessed
 * with the error, for the provider's retry or `escrow webhooks reprocess`; a duplicate of a processed event has no
 * second effect.
 */
export class WebhookProcessor {
  constructor(
    private readonly deps: {
      rails: ReadonlyMap<Rail, PaymentRail>;
      webhooks: WebhookStore;
      settlements: SettlementStore;
      readModel: EscrowReadModel;
      handler: CommandHandler;
      clock: Clock;
    },
  ) {}

  /** Throws WebhookSignatureError (→ 400/401) when the provider is unknown or the signature fails. */
  verify(provider: string, rawBody: string, headers: Record<string, string | undefined>): WebhookAction {
    const rail = PROVIDER_RAILS[provider];
    const adapter = rail && this.deps.rails.get(rail);
    if (!adapter) throw new DomainError('VALIDATION_ERROR', `webhook provider ${provider} is not enabled`);
    return adapter.verifyWebhook(rawBody, headers);
  }

  async receive(
    provider: string,
    rawBody: string,
    headers: Record<string, string | undefined>,
  ): Promise<WebhookOutcome> {
    const action = this.verify(provider, rawBody, headers);
    return this.process(provider, action, JSON.parse(rawBody));
  }

  /**
   * Processes a verified event. On success the raw event is stored, marked processed, in the command's own
   * transaction; on failure it is stored unprocessed with the error (never lost, never marked done).
   */
  async process(provider: string, action: WebhookAction, payload: unknown): Promise<WebhookOutcome> {
    const { webhooks, handler, readModel, settlements, clock } = this.deps;
    const actor: Actor = { id: `webhook:${provider}`, role: 'system' };
    const mark = { provider, eventId: action.eventId, type: action.kind, payload, outcome: 'APPLIED' };
    const fail = async (error: string): Promise<WebhookOutcome> => {
      await webhooks.recordFailure(provider, action.eventId, action.kind, payload, error);
      return { status: 'failed', error };
    };
    const commandId = derivedId(`webhook:${provider}:${action.eventId}`);
    const envelope = (type: CommandEnvelope['type'], escrowId: string, body: object): CommandEnvelope => ({
      commandId,
      type,
      escrowId,
      actor,
      issuedAt: clock.now().toISOString(),
      correlationId: `${provider}:${action.eventId}`,
      causationId: null,
      payload: body,
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
