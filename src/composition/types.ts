import type { PayoutAccountService } from '../app/payoutAccounts.js';
import type { BlacklistService } from '../app/blacklist.js';
import type { WebhookEndpointService } from '../app/webhookEndpoints.js';
import type { WebhookDispatcher } from '../workers/webhookDispatcher.js';
import type { FileService } from '../app/files.js';
import type { VaultService } from '../app/vault.js';
import type { TokenService } from '../app/tokens.js';
import type { Reconciler } from '../app/reconciler.js';
import type { WebhookProcessor } from '../app/webhookProcessor.js';
import type { RiskScreener } from '../app/ports/index.js';
import type { Logger } from 'pino';
import type { Database } from '../adapters/db/database.js';
import type { InProcessEventBus } from '../adapters/events/inProcessBus.js';
import type { SandboxRail } from '../adapters/rails/sandbox/sandboxRail.js';
import type { CommandHandler } from '../app/commandHandler.js';
import type { EscrowQueryService } from '../app/escrowQueries.js';
import type { EscrowService } from '../app/escrowService.js';
import type { ApprovalService } from '../app/approvals.js';
import type { OperationsService } from '../app/operations.js';
import type {
  Clock,
  CommandOutcomes,
  EscrowReadModel,
  PaymentRail,
  PaymentSimulator,
  WebhookIntake,
} from '../app/ports/index.js';
import type { VerifyReport } from '../app/verify.js';
import type { Config } from '../config/index.js';
import type { Rail } from '../domain/index.js';
import type { Metrics } from '../observability/metrics.js';
import type { OutboxPublisher } from '../workers/outboxPublisher.js';
import type { SettlementWorker } from '../workers/settlementWorker.js';
import type { TimeoutProcessor } from '../workers/timeoutProcessor.js';
import type { Stores } from './stores.js';

export const ROLES = ['api', 'worker', 'settlements', 'timeouts', 'outbox', 'reconciler', 'webhooks'] as const;
export type RoleName = (typeof ROLES)[number];

export interface EngineOptions {
  clock?: Clock;
  logger?: Logger;
  /** An already open database (tests); the engine then does not close it. */
  db?: Database;
  /** Apply pending migrations on start (always in embedded mode). */
  migrate?: boolean;
}

/** Where the started roles listen: the API's port, or the metrics port of roles without the API. */
export interface StartedRoles {
  port?: number;
  metricsPort?: number;
}

/** One engine: its services, the workers of every role, and the roles' lifecycle. */
export interface Engine {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The database itself, for tools and tests; HTTP and the services never see it. */
  readonly db: Database;
  readonly stores: Stores;
  /** The escrow read model (what the queries read). */
  readonly readModel: EscrowReadModel;
  /** Kafka mode: commands handed to workers, and their outcomes. */
  readonly outcomes: CommandOutcomes;
  /** The one command path (in this process). */
  readonly handler: CommandHandler;
  /** Client commands: in process, or through the commands topic in Kafka mode. */
  readonly service: EscrowService;
  /** Dual control: admins' large releases, refunds and resolutions wait for a second admin (ADMIN_APPROVAL_*). */
  readonly approvals: ApprovalService;
  readonly queries: EscrowQueryService;
  readonly operations: OperationsService;
  readonly webhooks: WebhookIntake;
  /** The webhook intake itself: stored events reprocessed from their raw bytes. */
  readonly webhookProcessor: WebhookProcessor;
  /** Sellers' payout accounts per rail. */
  readonly payoutAccounts: PayoutAccountService;
  /** Blacklisted user ids and wallets (admin-managed; checked on create and on payment). */
  readonly blacklist: BlacklistService;
  /** Outgoing webhooks' endpoints, delivery log, resend and recover (API, CLI). */
  readonly webhookEndpoints: WebhookEndpointService;
  /** The `webhooks` role's worker (started by `start`; tests and tools may run a round). */
  readonly webhookDispatcher: WebhookDispatcher;
  /** Evidence and contract files in the file store. */
  readonly files: FileService;
  /** The credential vault (VAULT_KEY). */
  readonly vault: VaultService;
  /** Token revocation (by jti or subject): the set every request is checked against. */
  readonly tokens: TokenService;
  /** Missed-webhook recovery and the three-way report (the reconciler role, `escrow reconcile`). */
  readonly reconciler: Reconciler;
  readonly screener: RiskScreener;
  /** The enabled rails. */
  readonly rails: ReadonlyMap<Rail, PaymentRail>;
  /** The built-in SANDBOX rail (signs webhooks for tools and tests), enabled or not. */
  readonly sandbox: SandboxRail;
  /** The sandbox's "the buyer pays" (it throws for escrows not on the SANDBOX rail). */
  readonly simulator: PaymentSimulator;
  readonly bus: InProcessEventBus;
  readonly settlementWorker: SettlementWorker;
  readonly timeouts: TimeoutProcessor;
  readonly outbox: OutboxPublisher;
  /** When this process's timeouts role last completed a run. */
  lastTimeoutRun(): Date | null;
  /** The HS256 secret tokens are signed with. */
  jwtSecret(): string;
  /** Told, after each acknowledged publication to Kafka, how long each event waited since its commit (ms). */
  onOutboxPublished(fn: (delaysMs: number[]) => void): void;
  /** Every ledger and event invariant, on the live database. */
  verify(): Promise<VerifyReport>;
  start(roles: readonly RoleName[]): Promise<StartedRoles>;
  stop(): Promise<void>;
}
