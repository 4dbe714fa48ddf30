import type { DisputeQueries, DisputeSummary } from '../../app/ports/index.js';
import type { VaultService } from '../../app/vault.js';
import type { Clock } from '../../app/ports/index.js';
import { HttpError } from '../problem.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  DISPUTE_QUEUE_DEFAULT,
  DISPUTE_QUEUE_MAX,
  DisputeQueueQuery,
  DisputeQueueView,
  RotationReportView,
  VaultRotateBody,
} from '../schemas/disputeAdmin.js';

/** What these routes need of HttpDeps. */
export interface DisputeAdminDeps {
  disputes: DisputeQueries;
  vault: Pick<VaultService, 'rotate'>;
  clock: Clock;
}

/** The queue as GET /api/admin/disputes and `escrow disputes` answer it, whichever way it runs. */
export interface DisputeQueue {
  data: DisputeSummary[];
  overdueCounts: { response: number; sla: number };
}

/** The open disputes, next deadline first (only the overdue ones with `overdue`), and the overdue counts, at `now`. */
export async function disputeQueue(
  disputes: DisputeQueries,
  opts: { overdue: boolean; limit: number; now: Date },
): Promise<DisputeQueue> {
  const [data, overdueCounts] = await Promise.all([
    disputes.openDisputes({ overdue: opts.overdue, limit: opts.limit, now: opts.now }),
    disputes.overdueCounts(opts.now),
  ]);
  return { data, overdueCounts };
}

const TAGS = ['admin'];

type DisputeAdminRouteDeps = Omit<RouteDeps, 'deps'> & { deps: DisputeAdminDeps };

/**
 * The admins' dispute queue (issue: dispute deadlines and SLA) — every open dispute with the other party's
 * respond-by, the ruling's SLA and which of them has passed — and the vault key rotation (`escrow vault rotate`),
 * which reseals every secret under VAULT_KEY, audited per secret by the vault service. The `escrow disputes` and
 * `escrow vault rotate` commands go through these while the embedded server holds the data directory.
 */
export function disputeAdminRoutes(app: Api, deps: DisputeAdminRouteDeps): void {
  queueRoute(app, deps);
  rotateRoute(app, deps);
}

function queueRoute(app: Api, { deps: d, authenticate }: DisputeAdminRouteDeps): void {
  app.get(
    '/admin/disputes',
    {
      onRequest: authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Open disputes, next deadline first, with the deadlines passed (escrow disputes)',
        description:
          'RESPONSE is overdue once respondBy has passed without a submission by the other party; SLA once slaDueAt ' +
          '(DISPUTE_SLA_DAYS after opening) has passed without a ruling. ?overdue=true lists only those past one. ' +
          'overdueCounts counts every open dispute, whatever the filter and the limit (as /metrics does).',
        querystring: DisputeQueueQuery,
        response: { 200: DisputeQueueView, ...S.problems(400, 401, 403, 429) },
      },
    },
    (request) => {
      const { overdue, limit } = request.query;
      const n = limit === undefined ? DISPUTE_QUEUE_DEFAULT : Number(limit);
      if (n < 1 || n > DISPUTE_QUEUE_MAX) {
        throw new HttpError(400, 'VALIDATION_ERROR', `limit must be 1-${DISPUTE_QUEUE_MAX}`, {}, [
          { field: 'limit', message: `must be 1-${DISPUTE_QUEUE_MAX}` },
        ]);
      }
      return disputeQueue(d.disputes, { overdue: overdue === 'true', limit: n, now: d.clock.now() });
    },
  );
}

function rotateRoute(app: Api, { deps: d, authenticate }: DisputeAdminRouteDeps): void {
  app.post(
    '/admin/vault/rotate',
    {
      onRequest: authenticate(['admin']),
      schema: {
        tags: TAGS,
        summary: 'Reseal every vault secret under VAULT_KEY (escrow vault rotate); audited per secret',
        description:
          'Each secret sealed under a key of VAULT_KEYS_PREVIOUS is opened and sealed again under VAULT_KEY, one ' +
          'audit row each with the admin and the reason; once remaining is 0 the previous keys can be dropped. ' +
          '{"dryRun": true} only counts the secrets per key. 503 VAULT_UNAVAILABLE when VAULT_KEY is not set, when a ' +
          "stored secret's key is not configured (the answer names it: add it to VAULT_KEYS_PREVIOUS), or when a " +
          'secret does not open (tampered; the answer names its fingerprint).',
        headers: S.IdempotencyHeaders,
        body: VaultRotateBody,
        response: { 200: RotationReportView, ...S.problems(400, 401, 403, 429, 503) },
      },
    },
    (request) => {
      const actor = { id: request.principal!.id, role: request.principal!.role };
      const { reason, dryRun = false } = request.body;
      return d.vault.rotate(actor, { reason, dryRun });
    },
  );
}
