import type { Logger } from 'pino';
import type { EscrowQueryService } from '../app/escrowQueries.js';
import type { EscrowService } from '../app/escrowService.js';
import type { OperationsService } from '../app/operations.js';
import type { PayoutAccountService } from '../app/payoutAccounts.js';
import type { BlacklistService } from '../app/blacklist.js';
import type { FileService } from '../app/files.js';
import type { VaultService } from '../app/vault.js';
import type { Reconciler } from '../app/reconciler.js';
import type { WebhookProcessor } from '../app/webhookProcessor.js';
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
  /** Evidence and contract files: uploads, downloads, and the ids deliveries, disputes and the vault cite. */
  files: FileService;
  /** The credential vault: the seller seals, the buyer reveals. */
  vault: VaultService;
  /** The admins' dispute queue, soonest deadline first (GET /api/admin/disputes). */
  disputes: DisputeQueries;
  /** The enabled rails: what `rail` accepts on create, and one webhook route per provider. */
  rails: readonly { rail: Rail; provider: string }[];
  /** The sandbox rail's "the buyer pays", when that rail is enabled. */
  simulator: PaymentSimulator | null;
  timeouts: TimeoutRunner;
  /** Health checks and the database gauges of /metrics. */
  operations: OperationsService;
  metrics: Metrics;
  logger: Logger;
  clock: Clock;
}
