import { minorAsString, type Escrow } from '../domain/index.js';
import type { EscrowDetails } from '../app/escrowQueries.js';

/** JSON has no bigint: every amount leaves as a digit string. */
export function jsonSafe<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, minorAsString)) as unknown;
}

export const escrowView = (e: Escrow) => jsonSafe(e) as Record<string, unknown>;

export function detailsView(d: EscrowDetails): Record<string, unknown> {
  return jsonSafe({
    ...d.escrow,
    ...(d.events && { events: d.events }),
    ...(d.ledger && { ledger: d.ledger }),
    ...(d.audit && { audit: d.audit }),
  }) as Record<string, unknown>;
}
