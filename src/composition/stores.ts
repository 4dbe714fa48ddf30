import { SqlAuditStore } from '../adapters/db/auditStore.js';
import { SqlCommandOutcomes } from '../adapters/db/commandOutcomes.js';
import { SqlDailyFigures } from '../adapters/db/dailyFigures.js';
import type { Database } from '../adapters/db/database.js';
import { SqlDisputeQueries } from '../adapters/db/disputeQueries.js';
import { SqlReportQueries } from '../adapters/db/reportQueries.js';
import { SqlEscrowQueries } from '../adapters/db/escrowQueries.js';
import { SqlEscrowStore } from '../adapters/db/escrowStore.js';
import { SqlIntegrityStore } from '../adapters/db/integrityStore.js';
import { SqlOperationsQueries } from '../adapters/db/operationsQueries.js';
import { SqlOutboxStore } from '../adapters/db/outboxStore.js';
import { SqlPayoutAccountStore } from '../adapters/db/payoutAccountStore.js';
import { SqlReconciliationStore } from '../adapters/db/reconciliationStore.js';
import { SqlRiskCacheStore } from '../adapters/db/riskCacheStore.js';
import { SqlSettlementStore } from '../adapters/db/settlementStore.js';
import { SqlTimeoutStore } from '../adapters/db/timeoutStore.js';
import { SqlWebhookStore } from '../adapters/db/webhookStore.js';
import type { Clock } from '../app/ports/index.js';

/** The database adapters of one engine, all on one connection pool. */
export function createStores(db: Database, clock: Clock) {
  return {
    escrows: new SqlEscrowStore(db),
    audit: new SqlAuditStore(db),
    readModel: new SqlEscrowQueries(db),
    outcomes: new SqlCommandOutcomes(db),
    integrity: new SqlIntegrityStore(db),
    webhooks: new SqlWebhookStore(db),
    settlements: new SqlSettlementStore(db, () => clock.now()),
    timeouts: new SqlTimeoutStore(db),
    outbox: new SqlOutboxStore(db),
    operations: new SqlOperationsQueries(db),
    payoutAccounts: new SqlPayoutAccountStore(db),
    reconciliation: new SqlReconciliationStore(db),
    riskCache: new SqlRiskCacheStore(db, clock),
    disputes: new SqlDisputeQueries(db),
    reports: new SqlReportQueries(db),
    dailyFigures: new SqlDailyFigures(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
