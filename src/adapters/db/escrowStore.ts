import { DomainError, accountKind, accounts, type Escrow, type LedgerEntry, type Rail } from '../../domain/index.js';
import type { CommandEnvelope, CommandRejection, CommandResult } from '../../app/envelope.js';
import {
  VersionConflict,
  type AuditEntry,
  type CommitOutcome,
  type CommitRequest,
  type EscrowFilter,
  type EscrowReadModel,
  type EscrowStore,
  type LoadedEscrow,
  type PaymentTarget,
  type StoredEvent,
} from '../../app/ports/index.js';
import { isUuid } from '../../app/ids.js';
import type { IntegrityStore } from '../../app/ports/index.js';
import { CommitBatcher, type CommitBatcherOptions } from './commitBatcher.js';
import { isPgError, type Database } from './database.js';
import {
  changed,
  deliveryRow,
  disputeRow,
  escrowFromJson,
  escrowRow,
  settlementRow,
  type EscrowJson,
} from './escrowRows.js';

const LOAD = `
  SELECT (SELECT result FROM processed_commands WHERE command_id = $2) AS prior,
         (SELECT escrow_aggregate(e) FROM escrows e WHERE e.id = $1) AS escrow`;

/** Unique violations that mean "someone else committed first": reload and decide again. */
const RACE_CONSTRAINTS = new Set([
  'escrows_pkey',
  'processed_commands_pkey',
  'escrow_events_pkey',
  'escrow_events_escrow_id_sequence_key',
  'escrows_payment_reference_key',
]);

/** EscrowStore and read model over PostgreSQL or PGlite: the same SQL on both. */
export class SqlEscrowStore implements EscrowStore, EscrowReadModel {
  private readonly batcher: CommitBatcher;

  constructor(
    private readonly db: Database,
    batching: CommitBatcherOptions = { maxBatch: 64, maxInFlight: db.kind === 'pglite' ? 1 : 2 },
  ) {
    this.batcher = new CommitBatcher(db, batching);
  }

  async load(escrowId: string, commandId: string): Promise<LoadedEscrow> {
    const { rows } = await this.db.query<{ prior: CommandResult | null; escrow: EscrowJson | null }>(LOAD, [
      escrowId,
      commandId,
    ]);
    const row = rows[0];
    return { prior: row?.prior ?? null, escrow: row?.escrow ? escrowFromJson(row.escrow) : null };
  }

  async commit(req: CommitRequest): Promise<CommitOutcome> {
    const { envelope: env, before, after, events, postings, result } = req;
    const at = req.at;
    const p = {
      command: { id: env.commandId, escrowId: env.escrowId, type: env.type, actor: env.actor, result, at },
      expectedVersion: before?.version ?? 0,
      escrow: events.length > 0 ? escrowRow(after) : null,
      events: events.map((e) => ({
        event_id: e.eventId,
        escrow_id: e.escrowId,
        sequence: e.sequence,
        type: e.type,
        schema_version: e.schemaVersion,
        data: e.data,
        actor: e.actor,
        command_id: e.commandId,
        correlation_id: e.correlationId,
        causation_id: e.causationId,
        occurred_at: e.occurredAt,
      })),
      accounts: before
        ? []
        : [accounts.holding(after.id), accounts.sellerPayable(after.id), accounts.buyerRefundable(after.id)].map(
            (id) => ({ id, kind: accountKind(id), escrow_id: after.id, created_at: at }),
          ),
      postings: postings.map((x) => ({
        transaction_id: x.transactionId,
        escrow_id: after.id,
        account_id: x.account,
        amount: x.amount.toString(),
        currency: x.currency,
        created_at: at,
      })),
      deliveries: changed(before?.deliveries ?? [], after.deliveries).map((d) => deliveryRow(after.id, d)),
      disputes: changed(before?.disputes ?? [], after.disputes).map((d) => disputeRow(after.id, d)),
      settlements: changed(before?.settlements ?? [], after.settlements).map((s) => settlementRow(after.id, s)),
      audit: {
        escrow_id: after.id,
        actor_id: env.actor.id,
        actor_role: env.actor.role,
        action: env.type,
        command_id: env.commandId,
        from_status: before?.status ?? null,
        to_status: after.status,
        details: { payload: env.payload, correlationId: env.correlationId, events: events.map((e) => e.type) },
        created_at: at,
      },
      webhook: req.webhook,
    };
    try {
      return (await this.batcher.submit(p)) as CommitOutcome;
    } catch (err) {
      throw translate(err);
    }
  }

  async getEscrow(escrowId: string): Promise<Escrow | null> {
    const { rows } = await this.db.query<{ e: EscrowJson }>(
      'SELECT escrow_aggregate(e) AS e FROM escrows e WHERE e.id = $1',
      [escrowId],
    );
    return rows[0] ? escrowFromJson(rows[0].e) : null;
  }

  async listEscrows(
    f: EscrowFilter,
    limit: number,
    after: { createdAt: string; id: string } | null,
  ): Promise<Escrow[]> {
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
    const { rows } = await this.db.query<{ e: EscrowJson }>(sql, params);
    return rows.map((r) => escrowFromJson(r.e));
  }

  async events(escrowId: string): Promise<StoredEvent[]> {
    const { rows } = await this.db.query<StoredEvent>(
      `SELECT event_id AS "eventId", type, escrow_id AS "escrowId", sequence, iso(occurred_at) AS "occurredAt",
              correlation_id AS "correlationId", causation_id AS "causationId", actor,
              schema_version AS "schemaVersion", command_id AS "commandId", data
         FROM escrow_events WHERE escrow_id = $1 ORDER BY sequence`,
      [escrowId],
    );
    return rows;
  }

  async ledger(escrowId: string): Promise<(LedgerEntry & { createdAt: string })[]> {
    const { rows } = await this.db.query<{ t: string; a: string; amount: string; currency: string; c: string }>(
      `SELECT transaction_id AS t, account_id AS a, amount::text AS amount, currency, iso(created_at) AS c
         FROM ledger_postings WHERE escrow_id = $1 ORDER BY id`,
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
    const { rows } = await this.db.query<AuditEntry>(
      `SELECT id::text AS id, actor_id AS "actorId", actor_role AS "actorRole", action, command_id AS "commandId",
              from_status AS "fromStatus", to_status AS "toStatus", details, iso(created_at) AS "createdAt"
         FROM audit_logs WHERE escrow_id = $1 ORDER BY id`,
      [escrowId],
    );
    return rows;
  }

  async recordRejection(env: CommandEnvelope, rejection: CommandRejection, at: string): Promise<void> {
    const result: CommandResult = {
      commandId: env.commandId,
      escrowId: env.escrowId,
      type: env.type,
      fromStatus: null,
      toStatus: 'REJECTED',
      version: 0,
      eventIds: [],
      ...(env.requestHash ? { requestHash: env.requestHash } : {}),
      rejection,
    };
    await this.db.query(
      `INSERT INTO processed_commands (command_id, escrow_id, type, actor, result, created_at, rejected)
       VALUES ($1, $2, $3, $4, $5, $6, true) ON CONFLICT (command_id) DO NOTHING`,
      [env.commandId, env.escrowId, env.type, JSON.stringify(env.actor), JSON.stringify(result), at],
    );
  }

  async withOutcome(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT command_id::text AS id FROM processed_commands WHERE command_id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  async markSubmitted(env: CommandEnvelope, at: string): Promise<void> {
    await this.db.query(
      `INSERT INTO command_submissions (command_id, escrow_id, type, actor, submitted_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING`,
      [env.commandId, env.escrowId, env.type, JSON.stringify(env.actor), at],
    );
  }

  /** A command handed to the workers and not processed yet (the API answered 202), or null. */
  async pendingCommand(
    commandId: string,
  ): Promise<{ commandId: string; escrowId: string; type: string; actorId: string } | null> {
    const { rows } = await this.db.query<{ escrow_id: string; type: string; actor_id: string }>(
      `SELECT escrow_id::text, type, actor ->> 'id' AS actor_id FROM command_submissions WHERE command_id = $1`,
      [commandId],
    );
    const r = rows[0];
    return r ? { commandId, escrowId: r.escrow_id, type: r.type, actorId: r.actor_id } : null;
  }

  async commandResult(commandId: string): Promise<(CommandResult & { actorId: string }) | null> {
    const { rows } = await this.db.query<{ result: CommandResult; actor_id: string }>(
      `SELECT result, actor ->> 'id' AS actor_id FROM processed_commands WHERE command_id = $1`,
      [commandId],
    );
    const r = rows[0];
    return r ? { ...r.result, actorId: r.actor_id } : null;
  }

  async commandOutcome(
    commandId: string,
    escrowId: string,
  ): Promise<{ result: CommandResult; escrow: Escrow | null } | null> {
    const { rows } = await this.db.query<{ result: CommandResult; escrow: EscrowJson | null }>(
      `SELECT p.result, (SELECT escrow_aggregate(e) FROM escrows e WHERE e.id = $2) AS escrow
         FROM processed_commands p WHERE p.command_id = $1`,
      [commandId, escrowId],
    );
    const r = rows[0];
    return r ? { result: r.result, escrow: r.escrow ? escrowFromJson(r.escrow) : null } : null;
  }

  findByPaymentReference(reference: string): Promise<PaymentTarget | null> {
    return this.paymentTargetWhere('payment_reference = $1', reference);
  }

  paymentTarget(idOrReference: string): Promise<PaymentTarget | null> {
    return isUuid(idOrReference)
      ? this.paymentTargetWhere('id = $1::uuid', idOrReference)
      : this.paymentTargetWhere('payment_reference = $1', idOrReference);
  }

  private async paymentTargetWhere(where: string, value: string): Promise<PaymentTarget | null> {
    const { rows } = await this.db.query<{
      id: string;
      rail: Rail;
      reference: string;
      due: string;
      amount: string;
      currency: string;
    }>(
      `SELECT id, rail, payment_reference AS reference, (amount + buyer_fee)::text AS due, amount::text AS amount, currency
         FROM escrows WHERE ${where}`,
      [value],
    );
    const r = rows[0];
    return r ? { ...r, due: BigInt(r.due), amount: BigInt(r.amount) } : null;
  }
}

function translate(err: unknown): unknown {
  if (!isPgError(err)) return err;
  if (err.code === 'ES409') return new VersionConflict(err.message);
  if (err.code === '23505') {
    if (err.constraint && RACE_CONSTRAINTS.has(err.constraint)) return new VersionConflict(err.message);
    if (err.constraint === 'escrows_offer_active') {
      return new DomainError('OFFER_ALREADY_IN_ESCROW', 'this offer already has an escrow that is not cancelled', {
        errors: [{ field: 'offerId', message: 'already has an active escrow' }],
      });
    }
    if (err.constraint === 'disputes_one_open') {
      return new DomainError('DISPUTE_ALREADY_OPEN', 'this escrow already has an open dispute');
    }
  }
  return err;
}

/** The integrity queries behind `escrow verify`. */
export class SqlIntegrityStore implements IntegrityStore {
  constructor(private readonly db: Database) {}

  async escrowIdsAfter(afterId: string | null, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM escrows WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => r.id);
  }

  async unbalancedTransactions() {
    const { rows } = await this.db.query<{ transactionId: string; currency: string; sum: string }>(
      `SELECT transaction_id AS "transactionId", currency, sum(amount)::text AS sum
         FROM ledger_postings GROUP BY transaction_id, currency HAVING sum(amount) <> 0`,
    );
    return rows;
  }

  async crossReferenceErrors(): Promise<string[]> {
    const { rows } = await this.db.query<{ problem: string }>(
      `SELECT 'posting ' || p.id || ' is on escrow ' || p.escrow_id || ' but its event is on ' || e.escrow_id AS problem
         FROM ledger_postings p JOIN escrow_events e ON e.event_id = p.transaction_id WHERE e.escrow_id <> p.escrow_id
       UNION ALL
       SELECT 'outbox row ' || o.id || ' is on escrow ' || o.escrow_id || ' but its event is on ' || e.escrow_id
         FROM outbox o JOIN escrow_events e ON e.event_id = o.event_id WHERE e.escrow_id <> o.escrow_id
       UNION ALL
       SELECT 'posting ' || p.id || ' belongs to no event (transaction ' || p.transaction_id || ')'
         FROM ledger_postings p WHERE NOT EXISTS (SELECT 1 FROM escrow_events e WHERE e.event_id = p.transaction_id)
       UNION ALL
       SELECT 'posting ' || p.id || ' is on unknown account ' || p.account_id
         FROM ledger_postings p WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.id = p.account_id)
       UNION ALL
       SELECT 'outbox row ' || o.id || ' points at no event'
         FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM escrow_events e WHERE e.event_id = o.event_id)
       UNION ALL
       SELECT 'processed command ' || c.command_id || ' is on unknown escrow ' || c.escrow_id
         FROM processed_commands c
        WHERE NOT c.rejected AND NOT EXISTS (SELECT 1 FROM escrows e WHERE e.id = c.escrow_id)
       UNION ALL
       SELECT 'audit row ' || a.id || ' is on unknown escrow ' || a.escrow_id
         FROM audit_logs a WHERE a.escrow_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM escrows e WHERE e.id = a.escrow_id)
       UNION ALL
       SELECT 'event ' || event_id || ' has ' || count(*) || ' outbox rows' FROM outbox GROUP BY event_id HAVING count(*) > 1
       UNION ALL
       SELECT 'event ' || e.event_id || ' has no outbox row'
         FROM escrow_events e WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.event_id)
       UNION ALL
       SELECT 'event ' || e.event_id || ' has no processed command ' || e.command_id
         FROM escrow_events e WHERE NOT EXISTS (SELECT 1 FROM processed_commands c WHERE c.command_id = e.command_id)
       LIMIT 1000`,
    );
    return rows.map((r) => r.problem);
  }
}
