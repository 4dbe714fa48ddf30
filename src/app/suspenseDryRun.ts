import { DEFAULT_POLICY, decide, type Actor, type EscrowCommand } from '../domain/index.js';
import type { EscrowQueryService } from './escrowQueries.js';
import type { Clock } from './ports/index.js';

/** Refunding or applying money in suspense (`escrow suspense refund|apply`, `POST /api/admin/suspense/{id}/…`). */
export type SuspenseCommand = Extract<EscrowCommand, { type: 'RefundSuspense' | 'ApplySuspense' }>;

/** What a suspense command's dry run answers: the events it would record (recorded nowhere). */
export interface SuspenseDryRun {
  dryRun: true;
  escrowId: string;
  events: { type: string; data: unknown }[];
}

/**
 * A suspense command's dry run, for the CLI and the admin API alike: the same decision the command path makes (the
 * suspense commands read no policy), on the escrow as it is now, changing nothing. A refused command throws its
 * domain error, as the command would.
 */
export async function dryRunSuspense(
  deps: { queries: Pick<EscrowQueryService, 'get'>; clock: Clock },
  actor: Actor,
  escrowId: string,
  command: SuspenseCommand,
): Promise<SuspenseDryRun> {
  const { escrow } = await deps.queries.get(actor, escrowId);
  const events = decide(command, escrow, {
    now: deps.clock.now().toISOString(),
    actor,
    policy: DEFAULT_POLICY,
    newId: (purpose) => `dry-run:${purpose}`,
  });
  return { dryRun: true, escrowId, events: events.map(({ type, data }) => ({ type, data })) };
}
