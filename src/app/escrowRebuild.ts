import {
  DEFAULT_POLICY,
  DomainError,
  decide,
  fold,
  invalid,
  isStorableText,
  type Actor,
  type Escrow,
} from '../domain/index.js';
import { TEXT_MAX_LENGTH, UNSTORABLE_TEXT_RULE } from '../domain/limits.js';
import type { EscrowService } from './escrowService.js';
import { isUuid } from './ids.js';
import type { OperatorAction } from './operations.js';
import type { Clock, EscrowReadModel, SettlementStore } from './ports/index.js';
import type { OperatorQueries } from './ports/operatorQueries.js';
import { plain } from './operatorViews.js';
import { canonical, toDomainEvent } from './verify.js';

// The operator's repairs of SPEC §8: `escrow rebuild <id>` (the escrows row refolded from its events) and
// `escrow settlements retry <id>` (the RetrySettlement command as the admin). Both need a reason, audited with the
// actor; --dry-run (dryRun: true) validates and says what would change, writing nothing.

/** The aggregate's parts kept in tables of their own: a rebuild reports their drift but repairs only the row. */
const SIDE_TABLES: ReadonlySet<string> = new Set([
  'deliveries',
  'disputes',
  'settlements',
  'suspense',
  'milestones',
  'vault',
]);

export interface FieldDifference {
  field: string;
  /** As the escrows row holds it now (JSON; amounts as digit strings). */
  row: unknown;
  /** As fold(events) says it should be. */
  events: unknown;
  /** A column of the escrows row (rebuild rewrites it); false: a side table's, reported only. */
  repairable: boolean;
}

export interface RebuildReport {
  escrowId: string;
  dryRun: boolean;
  /** fold(events) differs from the stored escrow. */
  drifted: boolean;
  /** The row was rewritten (never on a dry run, nor without drift). */
  repaired: boolean;
  eventCount: number;
  differences: FieldDifference[];
}

export interface RetryResult {
  dryRun: boolean;
  escrowId: string;
  settlementId: string;
  /** The settlement's status afterwards (PENDING: the worker sends it again); a dry run: as it is now. */
  status: string;
  /** A dry run: the events the command would record. */
  events: { type: string; data: unknown }[];
}

export interface EscrowRepairDeps {
  queries: OperatorQueries;
  readModel: Pick<EscrowReadModel, 'getEscrow' | 'events'>;
  settlements: Pick<SettlementStore, 'findEscrowOf'>;
  commands: Pick<EscrowService, 'execute'>;
  /** Writes an operator action's audit row (who, what, why). */
  audit: (action: OperatorAction) => Promise<void>;
  clock: Clock;
}

/** `escrow rebuild` and `escrow settlements retry`. */
export class EscrowRepairs {
  constructor(private readonly deps: EscrowRepairDeps) {}

  /** The field-by-field difference of the row from fold(events); without `dryRun` the row is repaired (audited). */
  async rebuild(actor: Actor, escrowId: string, o: { dryRun: boolean; reason?: string }): Promise<RebuildReport> {
    adminOnly(actor);
    const reason = o.dryRun && o.reason === undefined ? null : reasonOf(o.reason);
    const stored = isUuid(escrowId) ? await this.deps.readModel.getEscrow(escrowId) : null;
    if (!stored) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${escrowId} not found`);
    const events = await this.deps.readModel.events(escrowId);
    const folded = fold(escrowId, events.map(toDomainEvent));
    if (!folded) throw invalid('id', `escrow ${escrowId} has no events to rebuild it from`);
    const differences = differencesOf(stored, folded);
    const report = { escrowId, dryRun: o.dryRun, drifted: differences.length > 0, repaired: false };
    const result = { ...report, eventCount: events.length, differences };
    if (o.dryRun || !differences.some((d) => d.repairable)) return result;
    const repaired = await this.deps.queries.repairEscrowRow({
      escrow: folded,
      eventCount: events.length,
      audit: {
        actor: { id: actor.id, role: actor.role },
        reason: reason!,
        details: { fields: differences.filter((d) => d.repairable).map((d) => d.field), eventCount: events.length },
      },
    });
    return { ...result, repaired };
  }

  /** Audits the reason, then runs RetrySettlement on a FAILED settlement as `actor`; a dry run only decides. */
  async retrySettlement(
    actor: Actor,
    settlementId: string,
    o: { dryRun: boolean; reason: string },
  ): Promise<RetryResult> {
    adminOnly(actor);
    const reason = reasonOf(o.reason);
    const escrowId = isUuid(settlementId) ? await this.deps.settlements.findEscrowOf(settlementId) : null;
    if (!escrowId) throw new DomainError('SETTLEMENT_NOT_FOUND', `settlement ${settlementId} not found`);
    const command = { type: 'RetrySettlement' as const, settlementId };
    if (o.dryRun) {
      const escrow = await this.deps.readModel.getEscrow(escrowId);
      if (!escrow) throw new DomainError('ESCROW_NOT_FOUND', `escrow ${escrowId} not found`);
      const events = decide(command, escrow, {
        now: this.deps.clock.now().toISOString(),
        actor,
        policy: DEFAULT_POLICY,
        newId: (purpose) => `dry-run:${purpose}`,
      });
      const status = escrow.settlements.find((s) => s.id === settlementId)?.status ?? 'UNKNOWN';
      return plain({
        dryRun: true,
        escrowId,
        settlementId,
        status,
        events: events.map(({ type, data }) => ({ type, data })),
      });
    }
    // audited before it runs: the retry's reason is kept even if the command is then refused (that refusal is
    // audited by the command path), answered later by a Kafka worker, or the process stops in between
    await this.deps.audit({
      actor: { id: actor.id, role: actor.role },
      action: 'settlements.retry',
      reason,
      escrowId,
      details: { settlementId },
    });
    const handled = await this.deps.commands.execute('RetrySettlement', escrowId, actor, { settlementId });
    const status = handled.escrow.settlements.find((s) => s.id === settlementId)?.status ?? 'UNKNOWN';
    return { dryRun: false, escrowId, settlementId, status, events: [] };
  }

  /** Retries every FAILED settlement listed (at most `limit`), each on its own: one refused does not stop the rest. */
  async retryAllFailed(
    actor: Actor,
    o: { dryRun: boolean; reason: string; limit: number },
  ): Promise<{ dryRun: boolean; results: (RetryResult | { settlementId: string; error: string })[] }> {
    adminOnly(actor);
    reasonOf(o.reason);
    const failed = await this.deps.queries.settlements({
      now: this.deps.clock.now(),
      status: 'FAILED',
      escrowId: null,
      limit: o.limit,
    });
    const results: (RetryResult | { settlementId: string; error: string })[] = [];
    for (const s of failed) {
      try {
        results.push(await this.retrySettlement(actor, s.settlementId, o));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ settlementId: s.settlementId, error: `${err.code}: ${err.message}` });
      }
    }
    return { dryRun: o.dryRun, results };
  }
}

/** Top-level fields whose canonical JSON differs, in the aggregate's order. */
export function differencesOf(stored: Escrow, folded: Escrow): FieldDifference[] {
  const row = JSON.parse(canonical(stored)) as Record<string, unknown>;
  const events = JSON.parse(canonical(folded)) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(events), ...Object.keys(row)])];
  return fields
    .filter((f) => canonical(row[f]) !== canonical(events[f]))
    .map((field) => ({
      field,
      row: row[field] ?? null,
      events: events[field] ?? null,
      repairable: !SIDE_TABLES.has(field),
    }));
}

function adminOnly(actor: Actor): void {
  if (actor.role !== 'admin') throw new DomainError('FORBIDDEN', 'only an admin may run operator repairs');
}

function reasonOf(text: unknown): string {
  const max = TEXT_MAX_LENGTH.reason;
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > max) {
    throw invalid('reason', `must be 1-${max} characters saying why (kept in the audit log)`);
  }
  if (!isStorableText(trimmed)) throw invalid('reason', UNSTORABLE_TEXT_RULE);
  return trimmed;
}
