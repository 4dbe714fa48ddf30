import { DomainError, accountKind, accounts, type Escrow } from '../../domain/index.js';
import type { CommandEnvelope, CommandRejection, CommandResult } from '../../app/envelope.js';
import {
  VaultSecretMissingError,
  VersionConflict,
  type CommitOutcome,
  type CommitRequest,
  type EscrowStore,
  type LoadedEscrow,
} from '../../app/ports/index.js';
import { CommitBatcher, type CommitBatcherOptions } from './commitBatcher.js';
import { isPgError, type Database } from './database.js';
import {
  changed,
  deliveryRow,
  disputeRow,
  escrowFromJson,
  escrowRow,
  milestoneRow,
  milestonesReplaced,
  settlementRow,
  suspenseRow,
  vaultRow,
  type EscrowJson,
} from './escrowRows.js';

const LOAD = `
  SELECT (SELECT result FROM processed_commands WHERE command_id = $2) AS prior,
         (SELECT escrow_aggregate(e) FROM escrows e WHERE e.id = $1) AS escrow`;

const RECORD_REJECTION = `
  INSERT INTO processed_commands (command_id, escrow_id, type, actor, result, created_at, rejected)
  VALUES ($1, $2, $3, $4, $5, $6, true) ON CONFLICT (command_id) DO NOTHING`;

/** Unique violations that mean "someone else committed first": reload and decide again. */
const RACE_CONSTRAINTS = new Set([
  'escrows_pkey',
  'processed_commands_pkey',
  'escrow_events_pkey',
  'escrow_events_escrow_id_sequence_key',
  'escrows_payment_reference_key',
]);

/** The command path's EscrowStore over PostgreSQL or PGlite: the same SQL on both. */
export class SqlEscrowStore implements EscrowStore {
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
    const input = commitInput(req);
    try {
      return (await this.batcher.submit(input)) as CommitOutcome;
    } catch (err) {
      throw translate(err);
    }
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
    await this.db.query(RECORD_REJECTION, [
      env.commandId,
      env.escrowId,
      env.type,
      JSON.stringify(env.actor),
      JSON.stringify(result),
      at,
    ]);
  }
}

/** escrow_commit's input (migration 002): the rows one command writes, keyed by column name. */
function commitInput(req: CommitRequest) {
  const { envelope: env, before, after, events, postings, result } = req;
  const at = req.at;
  return {
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
    // written by escrow_commit's wrapper of migration 008
    suspense: changed(before?.suspense ?? [], after.suspense).map((s) => suspenseRow(after.id, s)),
    // written by escrow_commit's wrapper of migration 013
    ...milestonesOf(before, after),
    vault: vaultRow(before, after),
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
}

function milestonesOf(before: Escrow | null, after: Escrow) {
  const replaced = milestonesReplaced(before, after);
  const rows = replaced ? after.milestones : changed(before?.milestones ?? [], after.milestones);
  return { milestonesReplaced: replaced, milestones: rows.map((m) => milestoneRow(after.id, m)) };
}

function translate(err: unknown): unknown {
  if (!isPgError(err)) return err;
  if (err.code === 'ES409') return new VersionConflict(err.message);
  // not a decision about the command (its secret went missing meanwhile): never recorded as its outcome
  if (err.code === 'ES404') return new VaultSecretMissingError(err.message);
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
