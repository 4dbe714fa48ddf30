import type { Database } from '../adapters/db/database.js';
import { SqlMaintenanceStore } from '../adapters/db/maintenanceStore.js';
import { SqlOperatorQueries } from '../adapters/db/operatorQueries.js';
import { EscrowRepairs } from '../app/escrowRebuild.js';
import type { EscrowService } from '../app/escrowService.js';
import type { OperatorServices } from '../app/operatorServices.js';
import { OperatorViews } from '../app/operatorViews.js';
import type { Clock, EscrowReadModel, SettlementStore } from '../app/ports/index.js';

/** What the operator's services are built from: one engine's database, read model, command path and clock. */
export interface OperatorParts {
  db: Database;
  readModel: EscrowReadModel;
  settlements: Pick<SettlementStore, 'findEscrowOf'>;
  service: Pick<EscrowService, 'execute'>;
  clock: Clock;
}

/** `escrow stuck|show|rebuild|settlements|queues` and /api/admin/escrows/…, /api/admin/settlements, /queues/stats. */
export function operatorServices(p: OperatorParts): OperatorServices {
  const queries = new SqlOperatorQueries(p.db);
  const maintenance = new SqlMaintenanceStore(p.db);
  return {
    views: new OperatorViews({ queries, readModel: p.readModel, clock: p.clock }),
    repairs: new EscrowRepairs({
      queries,
      readModel: p.readModel,
      settlements: p.settlements,
      commands: p.service,
      audit: (action) => maintenance.audit(action),
      clock: p.clock,
    }),
  };
}

/** The operator's services of an engine (the CLI's local backend). */
export const operatorOf = (
  e: Omit<OperatorParts, 'settlements'> & { stores: { settlements: SettlementStore } },
): OperatorServices => operatorServices({ ...e, settlements: e.stores.settlements });
