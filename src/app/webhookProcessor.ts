import type { BlacklistService } from './blacklist.js';
import { DomainError } from '../domain/index.js';
import type { PaymentScreening } from '../domain/commands.js';
import type { CommandHandler } from './commandHandler.js';
import { systemEnvelope, type CommandEnvelope, type WebhookMark } from './envelope.js';
import { isUuid } from './ids.js';
import {
  RiskScreeningUnavailable,
  settlementKey,
  type Clock,
  type EscrowReadModel,
  type PaymentRail,
  type RawWebhook,
  type RiskScreener,
  type SettlementStore,
  type VerifiedWebhook,
  type WebhookAction,
  type WebhookIntake,
  type WebhookOutcome,
  type WebhookSelection,
  type WebhookStore,
} from './ports/index.js';

/** One stored event put through again by `webhooks reprocess`. */
export interface ReprocessedWebhook {
  provider: string;
  eventId: string;
  type: string;
  lastError: string | null;
  /** What became of it now; `would reprocess` on a dry run; `skipped` when it cannot be verified again. */
  result: WebhookOutcome | { status: 'would reprocess' } | { status: 'skipped'; reason: string };
}

/** Headers kept with the raw body: what a signature can depend on, never credentials a proxy may have added. */
const DROPPED_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);

export function keptHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !DROPPED_HEADERS.has(k.toLowerCase())) kept[k.toLowerCase()] = v;
  }
  return kept;
}

/**
 * Provider webhooks in (SPEC §6): verify the signature over the raw body (nothing is stored when it fails), then turn
 * the event into a command whose transaction also stores the event — its raw bytes and headers — as processed. A
 * failure stores it unprocessed with the error, for the provider's retry or `escrow webhooks reprocess` (which
 * verifies those same bytes again); a duplicate of a processed event has no second effect.
 *
 * A payment from an address (USDC) is screened first, outside any transaction: a screener that cannot answer leaves
 * the event unprocessed (the deposit is held, never funded unscreened) until a retry finds it answering.
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
      /** Screens the paying address of payments that name one. */
      screener?: RiskScreener;
      /** Blacklisted user ids and wallets (BlacklistService.check): a payment involving one is refunded. */
      blacklist?: Pick<BlacklistService, 'check'>;
      /** Operators are told of chargebacks and reversed payouts (logged as warnings, counted). */
      alert?: (what: string, fields: Record<string, unknown>) => void;
    },
  ) {
    for (const r of deps.rails) this.byProvider.set(r.provider, r);
  }

  private readonly byProvider = new Map<string, PaymentRail>();

  /** Throws WebhookSignatureError (→ 400/401) when the signature fails, VALIDATION_ERROR for a provider not enabled. */
  verify(
    provider: string,
    rawBody: string,
    headers: Record<string, string | undefined>,
    opts: { replay?: boolean } = {},
  ): Promise<VerifiedWebhook> {
    const adapter = this.byProvider.get(provider);
    if (!adapter) throw new DomainError('VALIDATION_ERROR', `webhook provider ${provider} is not enabled`);
    return adapter.verifyWebhook(rawBody, headers, opts);
  }

  async receive(
    provider: string,
    rawBody: string,
    headers: Record<string, string | undefined>,
  ): Promise<WebhookOutcome> {
    const { action, payload } = await this.verify(provider, rawBody, headers);
    return this.process(provider, action, payload, { body: rawBody, headers: keptHeaders(headers) });
  }

  /**
   * Stored events that were not processed, verified again over their raw bytes and applied (a dry run only lists
   * them). An event stored before raw bytes were kept, or from a provider no longer enabled, is skipped with why.
   */
  async reprocess(selection: WebhookSelection, dryRun: boolean): Promise<ReprocessedWebhook[]> {
    const stored = await this.deps.webhooks.unprocessed(selection);
    const out: ReprocessedWebhook[] = [];
    for (const w of stored) {
      const base = { provider: w.provider, eventId: w.eventId, type: w.type, lastError: w.lastError };
      if (!w.raw) {
        out.push({ ...base, result: { status: 'skipped', reason: 'stored before raw bytes were kept' } });
        continue;
      }
      if (!this.byProvider.has(w.provider)) {
        out.push({ ...base, result: { status: 'skipped', reason: `provider ${w.provider} is not enabled` } });
        continue;
      }
      try {
        // A dry run verifies too (it changes nothing): a tampered event is seen as skipped before a real run.
        const { action, payload } = await this.verify(w.provider, w.raw.body, w.raw.headers, { replay: true });
        if (dryRun) {
          out.push({ ...base, result: { status: 'would reprocess' } });
          continue;
        }
        out.push({ ...base, result: await this.process(w.provider, action, payload, w.raw) });
      } catch (err) {
        const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        out.push({ ...base, result: { status: 'skipped', reason } });
      }
    }
    return out;
  }

  /**
   * Processes a verified event. On success the event is stored, marked processed, in the command's own transaction;
   * on failure it is stored unprocessed with the error (never lost, never marked done).
   */
  async process(
    provider: string,
    action: WebhookAction,
    payload: unknown,
    raw: RawWebhook | null = null,
  ): Promise<WebhookOutcome> {
    const at = this.intakeOf(provider, action, payload, raw);
    try {
      switch (action.kind) {
        case 'payment.succeeded':
        case 'payment.failed':
        case 'payment.pending':
        case 'payment.disputed':
          return await this.payment(action, at);
        case 'settlement.succeeded':
        case 'settlement.failed':
        case 'settlement.reversed':
          return await this.settlement(action, at);
        case 'not_supported':
          return await at.recorded('NOT_SUPPORTED', null);
        default: {
          const _exhaustive: never = action;
          throw new Error(`unknown webhook action ${JSON.stringify(_exhaustive)}`);
        }
      }
    } catch (err) {
      const message = err instanceof DomainError ? `${err.code}: ${err.message}` : String(err);
      const out = await at.fail(message);
      if (err instanceof DomainError) return out;
      throw err;
    }
  }

  /** What every handler does with one event: fail it (stored unprocessed), record it, or run its command. */
  private intakeOf(provider: string, action: WebhookAction, payload: unknown, raw: RawWebhook | null): Intake {
    const { webhooks, handler, clock } = this.deps;
    const mark: WebhookMark = {
      provider,
      eventId: action.eventId,
      type: action.kind,
      payload,
      outcome: 'APPLIED',
      ...(raw ? { rawBody: raw.body, headers: raw.headers } : {}),
    };
    // the escrow a command was run for: a refused one's failure is stored with it (`escrow show` lists it)
    let forEscrow: string | null = null;
    return {
      provider,
      fail: async (error) => {
        await webhooks.recordFailure(provider, action.eventId, action.kind, payload, error, raw, forEscrow);
        return { status: 'failed', error };
      },
      recorded: async (outcome, escrowId) => {
        await webhooks.recordProcessed(provider, action.eventId, action.kind, payload, outcome, raw, escrowId);
        return { status: 'processed', outcome, escrowId };
      },
      run: async (type, escrowId, body) => {
        forEscrow = escrowId;
        const cmd = systemEnvelope({
          key: `webhook:${provider}:${action.eventId}`,
          type,
          escrowId,
          actorId: `webhook:${provider}`,
          correlationId: `${provider}:${action.eventId}`,
          payload: body as never,
          now: clock.now(),
        });
        const out = await handler.handle(cmd, mark);
        // The command id derives from the provider's event id: a redelivery is a duplicate command.
        if (out.duplicate) return { status: 'duplicate' };
        return { status: 'processed', outcome: out.result.toStatus, escrowId };
      },
    };
  }

  private async payment(
    action: Extract<WebhookAction, { kind: `payment.${string}` }>,
    at: Intake,
  ): Promise<WebhookOutcome> {
    const escrow = await this.deps.readModel.findByPaymentReference(action.reference);
    if (action.kind === 'payment.pending') return at.recorded('PENDING', escrow?.id ?? null);
    // Recorded for operators (`escrow webhooks failed`), not silently dropped.
    if (!escrow) return at.fail(`UNKNOWN_REFERENCE: no escrow has payment reference ${action.reference}`);
    switch (action.kind) {
      case 'payment.failed':
        return at.run('RecordPaymentFailure', escrow.id, {
          providerEventId: action.eventId,
          ...(action.transactionId ? { transactionId: action.transactionId } : {}),
          reason: action.reason,
        });
      case 'payment.disputed':
        this.deps.alert?.('chargeback', { escrow_id: escrow.id, provider: at.provider, reason: action.reason });
        return at.run('RecordChargeback', escrow.id, {
          providerEventId: action.eventId,
          reason: action.reason,
          amount: action.amount,
          currency: action.currency,
        });
      case 'payment.succeeded': {
        let screening: PaymentScreening | undefined;
        if (action.payer && this.deps.screener) {
          try {
            const r = await this.deps.screener.screen({ address: action.payer, chain: 'base', asset: action.currency });
            screening = { verdict: r.verdict, screener: r.screener, score: r.score, detail: r.detail };
          } catch (err) {
            if (!(err instanceof RiskScreeningUnavailable)) throw err;
            // Held: stored unprocessed, the provider's retry or `webhooks reprocess` screens it again.
            return at.fail(`SCREENING_UNAVAILABLE: ${err.message}; the deposit is held until it can be screened`);
          }
          if (screening.verdict !== 'PASS') {
            this.deps.alert?.('payment risk screen', { escrow_id: escrow.id, verdict: screening.verdict });
          }
        }
        // the blacklist (seed 003 RB-04): a listed paying wallet, buyer or seller takes the refund path
        const hits = await this.deps.blacklist?.check({
          userIds: [escrow.buyerId, escrow.sellerId],
          wallets: action.payer ? [action.payer] : [],
        });
        if (hits && hits.length > 0) {
          // the entry id only: the event is read by the parties, the reason is for admins (GET /api/admin/blacklist)
          const detail = hits.map((h) => `${h.kind} ${h.value} is blacklisted (entry ${h.entryId})`).join('; ');
          screening = { verdict: 'REJECT', screener: 'blacklist', score: null, detail };
          this.deps.alert?.('blacklisted payment', { escrow_id: escrow.id, entries: hits.map((h) => h.entryId) });
        }
        return at.run('ReceivePayment', escrow.id, {
          providerEventId: action.eventId,
          transactionId: action.transactionId,
          amount: action.amount,
          currency: action.currency,
          ...(screening ? { screening } : {}),
        });
      }
    }
  }

  private async settlement(
    action: Extract<WebhookAction, { kind: `settlement.${string}` }>,
    at: Intake,
  ): Promise<WebhookOutcome> {
    // Settlement ids are ours, UUIDs: any other id can never match (and must not reach a uuid column), so it is
    // acknowledged and stored as unmatched for operators, not refused, which a provider would retry for days.
    if (!isUuid(action.settlementId)) return at.recorded('UNMATCHED', null);
    const escrowId = await this.deps.settlements.findEscrowOf(action.settlementId);
    if (!escrowId) return at.fail(`UNKNOWN_SETTLEMENT: no settlement ${action.settlementId}`);
    if (action.kind === 'settlement.reversed') {
      const settlement_id = action.settlementId;
      this.deps.alert?.('payout reversed', { escrow_id: escrowId, provider: at.provider, settlement_id });
      return at.run('FlagEscrow', escrowId, {
        reason: 'SETTLEMENT_REVERSED',
        detail: `settlement ${action.settlementId} was reversed at ${at.provider}: ${action.reason}`.slice(0, 500),
      });
    }
    if (action.kind === 'settlement.failed' && action.settlementKey !== undefined) {
      // A failure of an earlier round (a late redelivery) says nothing of the round now moving the money.
      const round = await this.deps.settlements.roundOf(action.settlementId);
      if (round !== null && action.settlementKey !== settlementKey(action.settlementId, round)) {
        return at.recorded('STALE_ROUND', escrowId);
      }
    }
    return at.run('RecordSettlementResult', escrowId, {
      settlementId: action.settlementId,
      ...(action.kind === 'settlement.succeeded'
        ? { outcome: 'SUCCEEDED', providerReference: action.providerReference }
        : { outcome: 'FAILED', reason: action.reason }),
    });
  }
}

interface Intake {
  provider: string;
  fail(error: string): Promise<WebhookOutcome>;
  recorded(outcome: string, escrowId: string | null): Promise<WebhookOutcome>;
  run(type: CommandEnvelope['type'], escrowId: string, body: object): Promise<WebhookOutcome>;
}
