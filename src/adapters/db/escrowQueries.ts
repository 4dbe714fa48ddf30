import type { Escrow, LedgerEntry, Rail } from '../../domain/index.js';
import type { CommandResult } from '../../app/envelope.js';
import { isUuid } from '../../app/ids.js';
import type {
  AuditEntry,
  EscrowFilter,
  EscrowReadModel,
  PaymentTarget,
  StoredEvent,
  SuspenseEntry,
  SuspenseFilter,
} from '../../app/ports/index.js';
import type { Database } from './database.js';
import { escrowFromJson, type EscrowJson } from './escrowRows.js';

const GET_ESCROW = 'SELECT escrow_aggregate(e) AS e FROM escrows e WHERE e.id = $1';

const EVENTS = `
  SELECT event_id AS "eventId", type, escrow_id AS "escrowId", sequence, iso(occurred_at) AS "occurredAt",
         correlation_id AS "correlationId", causation_id AS "causationId", actor,
         schema_version AS "schemaVersion", command_id AS "commandId", data
    FROM escrow_events WHERE escrow_id = $1 ORDER BY sequence`;

const LEDGER = `
  SELECT transaction_id AS t, account_id AS a, amount::text AS amount, currency, iso(created_at) AS c
    FROM ledger_postings WHERE escrow_id = $1 ORDER BY id`;

const AUDIT = `
  SELECT id::text AS id, actor_id AS "actorId", actor_role AS "actorRole", action, command_id AS "commandId",
         from_status AS "fromStatus", to_status AS "toStatus", details, iso(created_at) AS "createdAt"
    FROM audit_logs WHERE escrow_id = $1 ORDER BY audit_logs.id`;

const COMMAND_RESULT = `SELECT result, actor ->> 'id' AS actor_id FROM processed_commands WHERE command_id = $1`;

const SUSPENSE_COLUMNS = `
  s.id, s.escrow_id AS "escrowId", e.status AS "escrowStatus", e.rail, e.buyer_id AS "buyerId", s.amount::text AS amount,
  s.currency, s.transaction_id AS "transactionId", s.provider_event_id AS "providerEventId", s.source, s.reason,
  s.status, iso(s.received_at) AS "receivedAt", iso(s.resolved_at) AS "resolvedAt", s.resolved_by AS "resolvedBy",
  s.resolution_reason AS "resolutionReason", s.settlement_id AS "settlementId"`;

const OPEN_SUSPENSE_TOTALS = `
  SELECT currency, sum(amount)::text AS amount, count(*)::int AS items
    FROM suspense_items WHERE status = 'OPEN' GROUP BY currency ORDER BY currency`;

/** The read model over PostgreSQL or PGlite: escrows as escrow_aggregate() builds them, and their history. */
export class SqlEscrowQueries implements EscrowReadModel {
  constructor(private readonly db: Database) {}

  async getEscrow(escrowId: string): Promise<Escrow | null> {
    const { rows } = await this.db.query<{ e: EscrowJson }>(GET_ESCROW, [escrowId]);
    return rows[0] ? escrowFromJson(rows[0].e) : null;
  }

  async listEscrows(
    f: EscrowFilter,
    limit: number,
    after: { createdAt: string; id: string } | null,
  ): Promise<Escrow[]> {
    const { sql, params } = listEscrowsQuery(f, limit, after);
    const { rows } = await this.db.query<{ e: EscrowJson }>(sql, params);
    return rows.map((r) => escrowFromJson(r.e));
  }

  async events(escrowId: string): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<StoredEvent>(EVENTS, [escrowId]);
    return rows;
  }

  async ledger(escrowId: string): Promise<(LedgerEntry & { createdAt: string })[]> {
    const { rows } = await this.db.query<{ t: string; a: string; amount: string; currency: string; c: string }>(
      LEDGER,
      [escrowId],
    );
    return rows.map((r) => ({
      transactionId: r.t,
      account: r.a,
      amount: BigInt(r.amount),
      currency: r.currency,
      createdAt: r.c,
    }));
  }

  async audit(escrowId: string): Promise<AuditEntry[]> {
    const { rows } = await this.db.query<AuditEntry>(AUDIT, [escrowId]);
    return rows;
  }

  async commandResult(commandId: string): Promise<(CommandResult & { actorId: string }) | null> {
    const { rows } = await this.db.query<{ result: CommandResult; actor_id: string }>(COMMAND_RESULT, [commandId]);
    const r = rows[0];
    return r ? { ...r.result, actorId: r.actor_id } : null;
  }

  findByPaymentReference(reference: string): Promise<PaymentTarget | null> {
    return this.paymentTargetWhere('payment_reference = $1', reference);
  }

  paymentTarget(idOrReference: string): Promise<PaymentTarget | null> {
    return isUuid(idOrReference)
      ? this.paymentTargetWhere('id = $1::uuid', idOrReference)
      : this.paymentTargetWhere('payment_reference = $1', idOrReference);
  }

  async listSuspense(
    f: SuspenseFilter,
    limit: number,
    after: { receivedAt: string; id: string } | null,
  ): Promise<SuspenseEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.status) add('s.status = ?', f.status);
    if (f.escrowId) add('s.escrow_id = ?::uuid', f.escrowId);
    if (f.currency) add('s.currency = ?', f.currency);
    if (after) {
      params.push(after.receivedAt, after.id);
      where.push(`(s.received_at, s.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(limit);
    const { rows } = await this.db.query<Omit<SuspenseEntry, 'amount'> & { amount: string }>(
      `SELECT ${SUSPENSE_COLUMNS} FROM suspense_items s JOIN escrows e ON e.id = s.escrow_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY s.received_at DESC, s.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  async escrowOfSuspense(suspenseId: string): Promise<string | null> {
    if (!isUuid(suspenseId)) return null;
    const { rows } = await this.db.query<{ escrow_id: string }>('SELECT escrow_id FROM suspense_items WHERE id = $1', [
      suspenseId,
    ]);
    return rows[0]?.escrow_id ?? null;
  }

  async openSuspenseTotals(): Promise<{ currency: string; amount: bigint; items: number }[]> {
    const { rows } = await this.db.query<{ currency: string; amount: string; items: number }>(OPEN_SUSPENSE_TOTALS);
    return rows.map((r) => ({ ...r, amount: BigInt(r.amount) }));
  }

  private async paymentTargetWhere(where: string, value: string): Promise<PaymentTarget | null> {
    const { rows } = await this.db.query<{
      id: string;
      rail: Rail;
      reference: string;
      due: string;
      amount: string;
      currency: string;
      buyerId: string;
      sellerId: string;
    }>(
      `SELECT id, rail, payment_reference AS reference, (amount + buyer_fee)::text AS due, amount::text AS amount, currency,
              buyer_id AS "buyerId", seller_id AS "sellerId"
         FROM escrows WHERE ${where}`,
      [value],
    );
    const r = rows[0];
    return r ? { ...r, due: BigInt(r.due), amount: BigInt(r.amount) } : null;
  }
}

/** Newest first, keyset-paginated on (created_at, id); every filter is a bound parameter. */
function listEscrowsQuery(
  f: EscrowFilter,
  limit: number,
  after: { createdAt: string; id: string } | null,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (f.status) add('e.status = ?', f.status);
  if (f.rail) add('e.rail = ?', f.rail);
  if (f.buyerId) add('e.buyer_id = ?', f.buyerId);
  if (f.sellerId) add('e.seller_id = ?', f.sellerId);
  if (f.createdFrom) add('e.created_at >= ?', f.createdFrom);
  if (f.createdTo) add('e.created_at < ?', f.createdTo);
  if (f.flagged !== undefined) add('e.flagged_for_review = ?', f.flagged);
  if (f.partyId) {
    params.push(f.partyId);
    where.push(`(e.buyer_id = $${params.length} OR e.seller_id = $${params.length})`);
  }
  if (after) {
    params.push(after.createdAt, after.id);
    where.push(`(e.created_at, e.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(limit);
  const sql = `SELECT escrow_aggregate(e) AS e FROM escrows e
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length}`;
  return { sql, params };
}
