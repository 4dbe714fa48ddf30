import { minorAsString } from '../../domain/index.js';
import type { AuditStore, RefusedCommand } from '../../app/ports/index.js';
import { isUuid } from '../../app/ids.js';
import type { Database } from './database.js';

/**
 * On the escrow when it exists (its status then is the row's from_status), with no escrow otherwise: `escrow verify`
 * counts an audit row on an unknown escrow as an orphan. to_status stays empty: nothing changed.
 */
const RECORD_REFUSAL = `
  INSERT INTO audit_logs (escrow_id, actor_id, actor_role, action, command_id, from_status, to_status, details, created_at)
  SELECT e.id, $2, $3, $4, $5::uuid, e.status, NULL, $6::jsonb, $7::timestamptz
    FROM (SELECT 1) AS one LEFT JOIN escrows e ON e.id = $1::uuid`;

/** A refusal keeps the payload it refused up to this size (the accepted path stores its payload whole). */
export const REFUSED_PAYLOAD_MAX_CHARS = 16_384;

/** Refused commands in audit_logs, over PostgreSQL or PGlite. */
export class SqlAuditStore implements AuditStore {
  constructor(private readonly db: Database) {}

  async recordRefusal(r: RefusedCommand): Promise<void> {
    const details = {
      refused: { code: r.code, message: r.message, ...r.details },
      payload: storablePayload(r.payload),
      correlationId: r.correlationId,
      // Kept here too: escrow_id is empty when the escrow does not exist, command_id when the id is not a UUID.
      escrowId: r.escrowId,
      commandId: r.commandId,
    };
    await this.db.query(RECORD_REFUSAL, [
      isUuid(r.escrowId) ? r.escrowId : null,
      r.actor.id,
      r.actor.role,
      r.type,
      isUuid(r.commandId) ? r.commandId : null,
      JSON.stringify(details, minorAsString),
      r.at,
    ]);
  }
}

/** NUL or an unpaired surrogate (as JSON escapes): jsonb refuses them, and a refusal's row must still be written. */
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

/** The refused payload as stored: whole when small and storable, otherwise a note saying why it is not there. */
function storablePayload(payload: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(payload, minorAsString);
  } catch {
    return { omitted: 'the payload cannot be written as JSON' };
  }
  if (text === undefined) return null;
  if (text.length > REFUSED_PAYLOAD_MAX_CHARS) return { omitted: `${text.length} characters of payload` };
  if (UNSTORABLE_ESCAPE.test(text)) return { omitted: 'the payload has text PostgreSQL cannot store' };
  return payload;
}
