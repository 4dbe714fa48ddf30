import { DomainError } from '../../domain/index.js';
import type { AuditRow, EscrowRowRepair, OutboxEntry, WebhookEntry } from '../../app/ports/operatorQueries.js';
import type { Database } from './database.js';
import { ESCROW_COLUMNS } from './escrowColumns.js';
import { escrowRow } from './escrowRows.js';

// never payload, raw_body or headers: a provider's body may carry card or account data
const WEBHOOKS = `
  SELECT provider, event_id AS "eventId", event_type AS "eventType", iso(received_at) AS "receivedAt", attempts,
         iso(processed_at) AS "processedAt", outcome, last_error AS "lastError"
    FROM webhook_events WHERE escrow_id = $1::uuid ORDER BY received_at, provider, event_id`;

const OUTBOX = `
  SELECT o.id::text AS id, o.event_id AS "eventId", ev.sequence, ev.type, iso(o.created_at) AS "createdAt",
         iso(o.published_at) AS "publishedAt", o.attempts, o.last_error AS "lastError",
         iso(o.dead_lettered_at) AS "deadLetteredAt", iso(o.skipped_at) AS "skippedAt"
    FROM outbox o LEFT JOIN escrow_events ev ON ev.event_id = o.event_id
   WHERE o.escrow_id = $1::uuid ORDER BY o.id`;

// operator actions keep the escrow in details (their escrow_id stays empty: see SqlMaintenanceStore.audit)
const AUDIT = `
  SELECT id::text AS id, actor_id AS "actorId", actor_role AS "actorRole", action, from_status AS "fromStatus",
         to_status AS "toStatus", details, iso(created_at) AS "createdAt"
    FROM audit_logs WHERE escrow_id = $1::uuid OR (escrow_id IS NULL AND details ->> 'escrowId' = $1::text)
   ORDER BY id`;

/** Every column but the id, rewritten from the folded aggregate (escrowColumns.ts says how each is encoded). */
const REPAIRED = ESCROW_COLUMNS.map((c) => c.column).filter((c) => c !== 'id');
const REPAIR = `
  UPDATE escrows e SET (${REPAIRED.join(', ')}) = (SELECT ${REPAIRED.map((c) => `r.${c}`).join(', ')}
    FROM jsonb_populate_record(NULL::escrows, $2::jsonb) r)
   WHERE e.id = $1::uuid`;

const REPAIR_AUDIT = `
  INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, details, created_at)
  VALUES ($1::uuid, $2, $3, 'escrow.rebuild', $4::jsonb, now())`;

/** What `escrow show` adds to the escrow's own history, and the one repair `escrow rebuild` makes. */
export class SqlEscrowTimelineStore {
  constructor(private readonly db: Database) {}

  async webhooksOf(escrowId: string): Promise<WebhookEntry[]> {
    return (await this.db.query<WebhookEntry>(WEBHOOKS, [escrowId])).rows;
  }

  async outboxOf(escrowId: string): Promise<OutboxEntry[]> {
    return (await this.db.query<OutboxEntry>(OUTBOX, [escrowId])).rows;
  }

  async auditOf(escrowId: string): Promise<AuditRow[]> {
    return (await this.db.query<AuditRow>(AUDIT, [escrowId])).rows;
  }

  /**
   * The escrows row rewritten from the folded aggregate and its audit row, in one transaction, under the row's lock
   * (a command committing meanwhile waits). Refused when the escrow has gained events since it was folded.
   */
  async repairEscrowRow({ escrow, eventCount, audit }: EscrowRowRepair): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Lock first, count after, in two statements: a count in the locking statement would be read from its snapshot
      // (READ COMMITTED re-reads only the locked row), missing the events of a command that committed while we
      // waited, and the repair would then write the state from before that command.
      const locked = await tx.query('SELECT 1 FROM escrows WHERE id = $1::uuid FOR UPDATE', [escrow.id]);
      if (locked.rows.length === 0) return false;
      const counted = await tx.query<{ events: number }>(
        'SELECT count(*)::int AS events FROM escrow_events WHERE escrow_id = $1::uuid',
        [escrow.id],
      );
      const row = counted.rows[0]!;
      if (row.events !== eventCount) {
        throw new DomainError(
          'VERSION_CONFLICT',
          `escrow ${escrow.id} has ${row.events} events now, ${eventCount} were folded: run the rebuild again`,
        );
      }
      await tx.query(REPAIR, [escrow.id, JSON.stringify(escrowRow(escrow))]);
      await tx.query(REPAIR_AUDIT, [
        escrow.id,
        audit.actor.id,
        audit.actor.role,
        JSON.stringify({ reason: audit.reason, escrowId: escrow.id, ...audit.details }),
      ]);
      return true;
    });
  }
}
