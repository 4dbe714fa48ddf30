import type { Database } from '../adapters/db/database.js';
import { SqlApprovalStore } from '../adapters/db/approvalStore.js';
import { ApprovalService, type ApprovalCommands } from '../app/approvals.js';
import type { Clock } from '../app/ports/index.js';
import type { Config } from '../config/index.js';
import type { Escrow } from '../domain/index.js';

/**
 * Dual control as the engine wires it: the proposals in admin_approvals, the thresholds and time to live from
 * ADMIN_APPROVAL_THRESHOLD / ADMIN_APPROVAL_TTL_HOURS (no thresholds: off, and the command path asks nothing), the
 * command path bound late (EscrowService holds this gate and applies what it approves).
 */
export function createApprovals(
  db: Database,
  config: Config,
  clock: Clock,
  escrows: { getEscrow(escrowId: string): Promise<Escrow | null> },
  commands: () => ApprovalCommands,
): ApprovalService {
  const settings = config.approvals ?? { thresholds: {}, ttlMs: 24 * 3_600_000 };
  return new ApprovalService({
    store: new SqlApprovalStore(db),
    clock,
    thresholds: settings.thresholds,
    ttlMs: settings.ttlMs,
    policy: config.policy,
    escrows,
    commands,
  });
}
