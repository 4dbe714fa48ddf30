import type { Rail } from '../domain/index.js';
import type {
  Clock,
  EscrowAtProvider,
  PaymentRail,
  ReconciliationStore,
  SettlementAtProvider,
  WebhookOutcome,
} from './ports/index.js';
import type { WebhookProcessor } from './webhookProcessor.js';

export interface ReconcileOptions {
  /** Report what would be applied, apply nothing. */
  dryRun?: boolean;
  /** How far back the report checks funded escrows and succeeded settlements (default 24 h). */
  windowMs?: number;
}

/** One disagreement between the escrow state, the ledger and a provider, with the command that fixes it. */
export interface Mismatch {
  kind:
    | 'MISSED_PAYMENT'
    | 'MISSED_PAYMENT_FAILURE'
    | 'PAYMENT_MISSING_AT_PROVIDER'
    | 'MISSED_SETTLEMENT_RESULT'
    | 'SETTLEMENT_MISSING_AT_PROVIDER'
    | 'PROVIDER_BALANCE_SHORT'
    | 'PROVIDER_UNREACHABLE';
  rail: Rail;
  escrowId: string | null;
  settlementId?: string;
  detail: string;
  /** What fixes it: what the reconciler applied (or would, on a dry run), or the command an operator runs. */
  fix: string;
  /** Applied by this run through the command path (missed webhooks only). */
  applied: boolean;
}

/** Platform fee revenue in the ledger against the provider's balance (seed 003's treasury reconciliation). */
export interface TreasuryLine {
  rail: Rail;
  currency: string;
  /** Held at the provider for buyers and sellers, per the ledger (holding + payables + refundables + suspense). */
  owed: string;
  feeRevenue: string;
  /** The provider's balance (available + pending), null where the provider has no balance API. */
  providerBalance: string | null;
  /** providerBalance − owed: what of the fee revenue (and any surplus) is still at the provider. */
  platformShareAtProvider: string | null;
  status: 'ok' | 'short' | 'unknown';
}

export interface ReconciliationReport {
  at: string;
  dryRun: boolean;
  checked: { awaitingFunds: number; funded: number; pendingSettlements: number; succeededSettlements: number };
  recovered: { payments: number; settlements: number };
  mismatches: Mismatch[];
  treasury: TreasuryLine[];
}

const LIMIT = 500;

/**
 * The `reconciler` role and `escrow reconcile` (SPEC §6): asks each provider about escrows still awaiting funds (older
 * than a threshold) and settlements still pending, and applies what it says through the normal intake, with the
 * provider's ids — so a late webhook for the same payment is a duplicate and moves nothing twice. Then reports every
 * mismatch between escrow state, ledger and provider, each with the command that fixes it, and the treasury line.
 */
export class Reconciler {
  constructor(
    private readonly deps: {
      rails: ReadonlyMap<Rail, PaymentRail>;
      store: ReconciliationStore;
      intake: Pick<WebhookProcessor, 'process'>;
      clock: Clock;
      /** Escrows awaiting funds longer than this are checked at the provider (default 15 min). */
      paymentAfterMs?: number;
      /** Pending settlements older than this are checked (default 10 min). */
      settlementAfterMs?: number;
    },
  ) {}

  private last: ReconciliationReport | null = null;
  private lastError: string | null = null;

  /** The last run's report (for /health and the metric), or null before the first. */
  get lastReport(): ReconciliationReport | null {
    return this.last;
  }

  get lastFailure(): string | null {
    return this.lastError;
  }

  async run(opts: ReconcileOptions = {}): Promise<ReconciliationReport> {
    try {
      const report = await this.reconcile(opts);
      if (!opts.dryRun) this.last = report;
      this.lastError = null;
      return report;
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  private async reconcile(opts: ReconcileOptions): Promise<ReconciliationReport> {
    const now = this.deps.clock.now().getTime();
    const iso = (ms: number) => new Date(ms).toISOString();
    const dryRun = opts.dryRun ?? false;
    const { store } = this.deps;
    const mismatches: Mismatch[] = [];
    const recovered = { payments: 0, settlements: 0 };

    const awaiting = await store.awaitingFunds(iso(now - (this.deps.paymentAfterMs ?? 15 * 60_000)), LIMIT);
    for (const e of awaiting) {
      const m = await this.awaitingPayment(e, dryRun);
      if (m) mismatches.push(m);
      if (m?.applied && m.kind === 'MISSED_PAYMENT') recovered.payments++;
    }
    const pending = await store.pendingSettlements(iso(now - (this.deps.settlementAfterMs ?? 10 * 60_000)), LIMIT);
    for (const s of pending) {
      const m = await this.pendingSettlement(s, dryRun);
      if (m) mismatches.push(m);
      if (m?.applied) recovered.settlements++;
    }
    const since = iso(now - (opts.windowMs ?? 24 * 3_600_000));
    const funded = await store.fundedSince(since, LIMIT);
    for (const e of funded) {
      const m = await this.fundedPayment(e);
      if (m) mismatches.push(m);
    }
    const succeeded = await store.succeededSince(since, LIMIT);
    for (const s of succeeded) {
      const m = await this.succeededSettlement(s);
      if (m) mismatches.push(m);
    }
    const treasury = await this.treasury();
    for (const t of treasury.filter((x) => x.status === 'short')) {
      mismatches.push({
        kind: 'PROVIDER_BALANCE_SHORT',
        rail: t.rail,
        escrowId: null,
        detail: `${t.rail} holds ${t.providerBalance} ${t.currency}; the ledger owes buyers and sellers ${t.owed}`,
        fix: 'stop the settlements role, then reconcile the provider account against the ledger by hand',
        applied: false,
      });
    }
    return {
      at: iso(now),
      dryRun,
      checked: {
        awaitingFunds: awaiting.length,
        funded: funded.length,
        pendingSettlements: pending.length,
        succeededSettlements: succeeded.length,
      },
      recovered,
      mismatches,
      treasury,
    };
  }

  private railOf(rail: Rail): PaymentRail | undefined {
    return this.deps.rails.get(rail);
  }

  /** A provider that cannot answer is a mismatch of its own: nothing is concluded from silence. */
  private async ask<T>(rail: Rail, escrowId: string | null, call: () => Promise<T>): Promise<T | Mismatch> {
    try {
      return await call();
    } catch (err) {
      return {
        kind: 'PROVIDER_UNREACHABLE',
        rail,
        escrowId,
        detail: err instanceof Error ? err.message : String(err),
        fix: 'the next reconciler run asks again; check the provider status page and credentials',
        applied: false,
      };
    }
  }

  private async awaitingPayment(e: EscrowAtProvider, dryRun: boolean): Promise<Mismatch | null> {
    const rail = this.railOf(e.rail);
    if (!rail) return null;
    const seen = await this.ask(e.rail, e.escrowId, () =>
      rail.lookupPayment({ escrowId: e.escrowId, reference: e.reference }),
    );
    if ('kind' in seen) return seen;
    if (seen.status !== 'succeeded' && seen.status !== 'failed') return null;
    const kind = seen.status === 'succeeded' ? 'MISSED_PAYMENT' : 'MISSED_PAYMENT_FAILURE';
    const detail =
      seen.status === 'succeeded'
        ? `${rail.provider} has payment ${seen.transactionId} of ${seen.amount} ${seen.currency}; the escrow awaits funds`
        : `${rail.provider} says the payment failed (${seen.reason}); the escrow does not know`;
    if (dryRun) return { kind, rail: e.rail, escrowId: e.escrowId, detail, fix: 'escrow reconcile', applied: false };
    const out = await this.deps.intake.process(
      rail.provider,
      seen.status === 'succeeded'
        ? {
            kind: 'payment.succeeded',
            eventId: seen.eventId,
            reference: e.reference,
            transactionId: seen.transactionId,
            amount: seen.amount,
            currency: seen.currency,
            ...(seen.payer ? { payer: seen.payer } : {}),
          }
        : {
            kind: 'payment.failed',
            eventId: seen.eventId,
            reference: e.reference,
            transactionId: seen.transactionId,
            reason: seen.reason,
          },
      { source: 'reconciler', lookup: seen },
    );
    // Already known (e.g. a failed attempt recorded before, the escrow still awaiting funds): nothing was missed.
    if (out.status === 'duplicate') return null;
    return { kind, rail: e.rail, escrowId: e.escrowId, detail, ...applied(out) };
  }

  private async pendingSettlement(s: SettlementAtProvider, dryRun: boolean): Promise<Mismatch | null> {
    const rail = this.railOf(s.rail);
    if (!rail) return null;
    const { order } = s;
    const seen = await this.ask(s.rail, order.escrowId, () => rail.lookupSettlement(order));
    if ('kind' in seen) return seen;
    if (seen.status !== 'succeeded' && seen.status !== 'failed') return null;
    const detail =
      `${rail.provider} says ${order.kind.toLowerCase()} ${order.settlementId} ${seen.status}` +
      (seen.status === 'failed' ? ` (${seen.reason})` : ` as ${seen.providerReference}`) +
      '; the escrow has it pending';
    const base = { kind: 'MISSED_SETTLEMENT_RESULT' as const, rail: s.rail, escrowId: order.escrowId };
    const at = { ...base, settlementId: order.settlementId, detail };
    if (dryRun) return { ...at, fix: 'escrow reconcile', applied: false };
    const eventId = `reconcile:${order.idempotencyKey}:${seen.status}`;
    const out = await this.deps.intake.process(
      rail.provider,
      seen.status === 'succeeded'
        ? {
            kind: 'settlement.succeeded',
            eventId,
            settlementId: order.settlementId,
            providerReference: seen.providerReference,
          }
        : { kind: 'settlement.failed', eventId, settlementId: order.settlementId, reason: seen.reason },
      { source: 'reconciler', lookup: seen },
    );
    if (out.status === 'duplicate') return null;
    return { ...at, ...applied(out) };
  }

  private async fundedPayment(e: EscrowAtProvider): Promise<Mismatch | null> {
    const rail = this.railOf(e.rail);
    if (!rail || rail.rail === 'SANDBOX') return null; // the sandbox keeps no record to compare with
    const seen = await this.ask(e.rail, e.escrowId, () =>
      rail.lookupPayment({ escrowId: e.escrowId, reference: e.reference }),
    );
    if ('kind' in seen) return seen;
    if (seen.status === 'succeeded') return null;
    return {
      kind: 'PAYMENT_MISSING_AT_PROVIDER',
      rail: e.rail,
      escrowId: e.escrowId,
      detail: `the escrow is ${e.status}, funded by ${e.fundingTransactionId}; ${rail.provider} says ${seen.status}`,
      fix:
        `look up ${e.fundingTransactionId} at ${rail.provider} and GET /api/escrow/${e.escrowId}?include=events,ledger; ` +
        'until it is explained, no admin release or refund of this escrow',
      applied: false,
    };
  }

  private async succeededSettlement(s: SettlementAtProvider): Promise<Mismatch | null> {
    const rail = this.railOf(s.rail);
    if (!rail || rail.rail === 'SANDBOX') return null;
    const seen = await this.ask(s.rail, s.order.escrowId, () => rail.lookupSettlement(s.order));
    if ('kind' in seen) return seen;
    if (seen.status === 'succeeded') return null;
    return {
      kind: 'SETTLEMENT_MISSING_AT_PROVIDER',
      rail: s.rail,
      escrowId: s.order.escrowId,
      settlementId: s.order.settlementId,
      detail: `settlement ${s.order.settlementId} is SUCCEEDED here; ${rail.provider} says ${seen.status}`,
      fix: `check the ${rail.provider} dashboard for ${s.order.settlementId}; GET /api/escrow/${s.order.escrowId}?include=events,ledger`,
      applied: false,
    };
  }

  private async treasury(): Promise<TreasuryLine[]> {
    const totals = await this.deps.store.ledgerTotals();
    const balances = new Map<Rail, Map<string, bigint> | null>();
    for (const rail of this.deps.rails.values()) {
      const b = await rail.platformBalance().catch(() => null);
      balances.set(
        rail.rail,
        b && new Map(b.map((x) => [x.currency.toUpperCase(), BigInt(x.available) + BigInt(x.pending)])),
      );
    }
    return totals
      .filter((t) => this.deps.rails.has(t.rail))
      .map((t) => {
        const balance = balances.get(t.rail)?.get(t.currency) ?? null;
        const share = balance === null ? null : balance - t.owed;
        return {
          rail: t.rail,
          currency: t.currency,
          owed: t.owed.toString(),
          feeRevenue: t.feeRevenue.toString(),
          providerBalance: balance?.toString() ?? null,
          platformShareAtProvider: share?.toString() ?? null,
          status: share === null ? 'unknown' : share < 0n ? 'short' : 'ok',
        };
      });
  }
}

function applied(out: WebhookOutcome): { fix: string; applied: boolean } {
  if (out.status === 'failed') return { fix: `escrow webhooks failed (${out.error})`, applied: false };
  return { fix: 'applied by the reconciler through the command path', applied: true };
}
