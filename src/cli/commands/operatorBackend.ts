import type { RebuildReport, RetryResult } from '../../app/escrowRebuild.js';
import type { OperatorServices } from '../../app/operatorServices.js';
import type {
  EscrowTimeline,
  QueueReport,
  SettlementsOptions,
  StuckOptions,
  StuckReport,
} from '../../app/operatorViews.js';
import type { SettlementEntry } from '../../app/ports/operatorQueries.js';
import type { Actor } from '../../domain/index.js';

// What `escrow stuck|show|rebuild|settlements|queues` run on: this process's engine, or the embedded server's admin
// API (/api/admin/escrows/…, /api/admin/settlements…, /api/admin/queues/stats) while it holds the data directory.

export interface RetryAllResult {
  dryRun: boolean;
  results: (RetryResult | { settlementId: string; error: string })[];
}

export interface OperatorBackend {
  stuck(o: StuckOptions): Promise<StuckReport>;
  timeline(escrowId: string): Promise<EscrowTimeline>;
  rebuild(escrowId: string, o: { dryRun: boolean; reason?: string }): Promise<RebuildReport>;
  settlementList(o: SettlementsOptions): Promise<{ data: SettlementEntry[] }>;
  settlementRetry(settlementId: string, o: { dryRun: boolean; reason: string }): Promise<RetryResult>;
  settlementRetryAll(o: { dryRun: boolean; reason: string; limit: number }): Promise<RetryAllResult>;
  queues(): Promise<QueueReport>;
}

/** The operator's services on this process's engine (opened per call), as the CLI's admin `actor`. */
export function localOperatorBackend(
  withService: <T>(run: (s: OperatorServices) => Promise<T>) => Promise<T>,
  actor: Actor,
): OperatorBackend {
  return {
    stuck: (o) => withService((s) => s.views.stuck(o)),
    timeline: (id) => withService((s) => s.views.timeline(id)),
    rebuild: (id, o) => withService((s) => s.repairs.rebuild(actor, id, o)),
    settlementList: (o) => withService((s) => s.views.settlements(o)),
    settlementRetry: (id, o) => withService((s) => s.repairs.retrySettlement(actor, id, o)),
    settlementRetryAll: (o) => withService((s) => s.repairs.retryAllFailed(actor, o)),
    queues: () => withService((s) => s.views.queues()),
  };
}

type Call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>;

/** The same through the embedded server's admin API; `call` answers the body or throws the server's problem. */
export function serverOperatorBackend(call: Call): OperatorBackend {
  const id = encodeURIComponent;
  return {
    stuck: (o) => call('GET', `/api/admin/escrows/stuck?${stuckQuery(o)}`),
    timeline: (escrowId) => call('GET', `/api/admin/escrows/${id(escrowId)}/timeline`),
    rebuild: (escrowId, o) => call('POST', `/api/admin/escrows/${id(escrowId)}/rebuild`, o),
    settlementList: (o) => call('GET', `/api/admin/settlements?${query(o)}`),
    settlementRetry: (settlementId, o) => call('POST', `/api/admin/settlements/${id(settlementId)}/retry`, o),
    settlementRetryAll: (o) => call('POST', '/api/admin/settlements/retry-failed', o),
    queues: () => call('GET', '/api/admin/queues/stats'),
  };
}

function query(o: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined) q.set(k, String(v as string | number));
  return q.toString();
}

const stuckQuery = (o: StuckOptions) => query({ ...o, highValue: o.highValue ? 'true' : undefined });
