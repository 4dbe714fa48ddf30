import type { Logger } from 'pino';
import type { EscrowQueryService } from '../app/escrowQueries.js';
import type { EscrowService } from '../app/escrowService.js';
import type { ApprovalService } from '../app/approvals.js';
import type { OperationsService } from '../app/operations.js';
import type { OperatorServices } from '../app/operatorServices.js';
import type { PayoutAccountService } from '../app/payoutAccounts.js';
import type { BlacklistService } from '../app/blacklist.js';
import type { FileService } from '../app/files.js';
import type { VaultService } from '../app/vault.js';
import type { TokenService } from '../app/tokens.js';
import type { Reconciler } from '../app/reconciler.js';
import type { ReportService } from '../app/reports.js';
import type { WebhookProcessor } from '../app/webhookProcessor.js';
import type { WebhookEndpointApi } from '../app/webhookEndpointTypes.js';
import type {
  Clock,
  DisputeQueries,
  PaymentSimulator,
  StoredWebhook,
  TimeoutRunner,
  WebhookIntake,
  WebhookSelection,
} from '../app/ports/index.js';
import type { Rail } from '../domain/index.js';
import type { Metrics } from '../observability/metrics.js';

/**
 * Everything the HTTP layer may use: application services and queries, never the escrow storage. (HttpOptions adds
 * what is HTTP's own: the Idempotency-Key response store behind its port, and the rate limiter's Redis client.)
 */
export interface HttpDeps {
  /** Client commands: create and every other command. */
  commands: EscrowService;
  /** Dual control's proposals: listed, approved and rejected by admins (GET /api/admin/approvals). */
  approvals?: ApprovalService;
  /** Escrows, their history and command outcomes, with the visibility rules. */
  queries: EscrowQueryService;
  /** Provider webhooks in. */
  webhooks: WebhookIntake;
  /** Stored provider events: the failed ones listed and reprocessed (admin). */
  webhookProcessor: Pick<WebhookProcessor, 'reprocess'>;
  /** Provider events stored unprocessed (failed), oldest first: WebhookStore.unprocessed (admin lists metadata only). */
  webhookFailures: (selection: WebhookSelection) => Promise<StoredWebhook[]>;
  /** `escrow reconcile` on demand (admin); its default window is RECONCILE_WINDOW_HOURS. */
  reconciler: Pick<Reconciler, 'run'>;
  /** Sellers' payout accounts per rail, and the settlements waiting for one. */
  payoutAccounts: PayoutAccountService;
  /** Blacklisted user ids and wallets (admin). */
  blacklist: BlacklistService;
  /** The marketplace's outgoing webhook endpoints and their delivery log (service, admin); absent: no such routes. */
  webhookEndpoints?: WebhookEndpointApi;
  /** Evidence and contract files: uploads, downloads, and the ids deliveries, disputes and the vault cite. */
  files: FileService;
  /** The credential vault: the seller seals, the buyer reveals. */
  vault: VaultService;
  /** The business and fraud reports (GET /api/admin/reports/*, `escrow report`); absent: no report routes. */
  reports?: ReportService;
  /** The admins' dispute queue, soonest deadline first (GET /api/admin/disputes). */
  disputes: DisputeQueries;
  /** The operator's views and repairs: stuck escrows, timelines, rebuild, settlements, queues (admin). */
  operator: OperatorServices;
  /** The enabled rails: what `rail` accepts on create, and one webhook route per provider. */
  rails: readonly { rail: Rail; provider: string }[];
  /** The sandbox rail's "the buyer pays", when that rail is enabled. */
  simulator: PaymentSimulator | null;
  timeouts: TimeoutRunner;
  /** Health checks and the database gauges of /metrics. */
  operations: OperationsService;
  /** Revoked tokens (checked on every request, in memory once watching) and the admin's revocations. */
  tokens?: Pick<TokenService, 'isRevoked' | 'revoke' | 'list'>;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}
