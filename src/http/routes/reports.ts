import type { ReportKind, ReportRequest } from '../../app/reports.js';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';
import {
  DisputeReportQuery,
  DisputesReportView,
  FeesReportView,
  OffenderQuery,
  OffendersReportView,
  ReportQuery,
  VolumeReportView,
} from '../schemas/reports.js';

const tags = ['admin'];

const ROUTES = {
  volume: {
    querystring: ReportQuery,
    view: VolumeReportView,
    summary: 'Escrows created, funded, released, refunded and disputed, with amounts, per currency (escrow report)',
  },
  fees: {
    querystring: ReportQuery,
    view: FeesReportView,
    summary: "Platform fee revenue per currency: the ledger's platform:fee_revenue postings (what verify checks)",
  },
  disputes: {
    querystring: DisputeReportQuery,
    view: DisputesReportView,
    summary: 'Disputes opened, the dispute rate (opened / funded) over the window, by reason and outcome',
  },
  offenders: {
    querystring: OffenderQuery,
    view: OffendersReportView,
    summary: 'Sellers and buyers party to at least `min` disputes (default 3 in 7 days), with the blacklist command',
  },
} as const;

/** The business and fraud reports for admins (seed 003 §2, RB-04). Reads only: nothing to audit. */
export function reportRoutes(app: Api, deps: RouteDeps): void {
  const reports = deps.deps.reports;
  if (!reports) return;
  const admin = deps.authenticate(['admin']);
  for (const kind of Object.keys(ROUTES) as ReportKind[]) {
    const r = ROUTES[kind];
    app.get(
      `/admin/reports/${kind}`,
      {
        onRequest: admin,
        schema: {
          tags,
          summary: r.summary,
          description:
            '`since`: ISO 8601 or a duration back from now (24h, 7d); amounts are minor units as digit strings. ' +
            'Counts come from the committed events, fees from the ledger.',
          querystring: r.querystring,
          response: { 200: r.view, ...S.problems(400, 401, 403, 429) },
        },
      },
      (request) => reports.run(kind, request.query as ReportRequest) as never,
    );
  }
}
