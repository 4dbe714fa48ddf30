import { invalid } from '../domain/index.js';
import type { Clock } from './ports/index.js';
import type {
  DisputeRow,
  FeeRow,
  OffenderRow,
  ReportBucket,
  ReportQueries,
  ReportWindow,
  VolumeRow,
} from './ports/reportQueries.js';

// `escrow report volume|fees|disputes|offenders` and GET /api/admin/reports/* (seed 003 §2 "Business metrics", RB-04
// "High Dispute Rate"): what the business and fraud reviews read. Reads only; amounts are minor units as digit
// strings, sums in bigint.

export const REPORT_KINDS = ['volume', 'fees', 'disputes', 'offenders'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** What a report is asked for; every field as the CLI or the query string gives it. */
export interface ReportRequest {
  /** ISO 8601, or a duration back from now: 24h, 7d, 90m. Default 24h (offenders: 7d). */
  since?: string;
  currency?: string;
  /** Buckets of volume and fees: day (default) or hour. */
  by?: string;
  /** Offenders: the fewest disputes that lists a party (default 3). */
  min?: string | number;
}

interface Window {
  since: string;
  until: string;
  currency: string | null;
}

export type VolumeTotal = Omit<VolumeRow, 'period'>;
export interface VolumeReport extends Window {
  report: 'volume';
  by: ReportBucket;
  totals: VolumeTotal[];
  periods: VolumeRow[];
}
export interface FeesReport extends Window {
  report: 'fees';
  by: ReportBucket;
  account: string;
  totals: Omit<FeeRow, 'period'>[];
  periods: FeeRow[];
}
export interface DisputeRateLine {
  currency: string;
  funded: number;
  opened: number;
  /** opened / funded in percent, two decimals ("25.00"); null when nothing was funded. */
  ratePercent: string | null;
}
export interface DisputesReport extends Window {
  report: 'disputes';
  totals: DisputeRateLine[];
  byReason: { reason: string; count: number }[];
  byOutcome: { outcome: string; count: number }[];
  rows: DisputeRow[];
}
export interface Offender extends OffenderRow {
  /** The ready-to-run blacklist command (run it with --dry-run first); null when already blacklisted. */
  command: string | null;
}
export interface OffendersReport extends Window {
  report: 'offenders';
  min: number;
  offenders: Offender[];
}
export type Report = VolumeReport | FeesReport | DisputesReport | OffendersReport;

export const FEE_REVENUE_ACCOUNT = 'platform:fee_revenue';
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WINDOW_DAYS = 366;

/** The reports, on the queries and the engine's clock. */
export class ReportService {
  constructor(private readonly deps: { queries: ReportQueries; clock: Clock }) {}

  run(kind: ReportKind, request: ReportRequest): Promise<Report> {
    switch (kind) {
      case 'volume':
        return this.volume(request);
      case 'fees':
        return this.fees(request);
      case 'disputes':
        return this.disputes(request);
      case 'offenders':
        return this.offenders(request);
      default: {
        const _exhaustive: never = kind;
        throw invalid('report', `unknown report ${String(_exhaustive)} (one of ${REPORT_KINDS.join(', ')})`);
      }
    }
  }

  async volume(request: ReportRequest): Promise<VolumeReport> {
    const w = this.window(request, '24h');
    const by = bucket(request.by);
    const periods = await this.deps.queries.volume(w, by);
    const totals = new Map<string, VolumeTotal>();
    for (const { period: _p, ...row } of periods) {
      const t = totals.get(row.currency);
      totals.set(row.currency, t ? addVolume(t, row) : row);
    }
    return { report: 'volume', ...view(w), by, totals: sorted(totals), periods };
  }

  async fees(request: ReportRequest): Promise<FeesReport> {
    const w = this.window(request, '24h');
    const by = bucket(request.by);
    const periods = await this.deps.queries.fees(w, by);
    const totals = new Map<string, Omit<FeeRow, 'period'>>();
    for (const { currency, fees, postings } of periods) {
      const t = totals.get(currency) ?? { currency, fees: '0', postings: 0 };
      totals.set(currency, { currency, fees: add(t.fees, fees), postings: t.postings + postings });
    }
    return { report: 'fees', ...view(w), by, account: FEE_REVENUE_ACCOUNT, totals: sorted(totals), periods };
  }

  async disputes(request: ReportRequest): Promise<DisputesReport> {
    const w = this.window(request, '24h');
    const [rows, funded] = await Promise.all([this.deps.queries.disputes(w), this.deps.queries.funded(w)]);
    const opened = tally(rows, (r) => r.currency);
    const currencies = [...new Set([...Object.keys(funded), ...opened.keys()])].sort();
    const totals = currencies.map((currency) => {
      const n = funded[currency] ?? 0;
      const o = opened.get(currency) ?? 0;
      return { currency, funded: n, opened: o, ratePercent: percent(o, n) };
    });
    const byReason = [...tally(rows, (r) => r.reason)].map(([reason, count]) => ({ reason, count }));
    const byOutcome = [...tally(rows, (r) => r.outcome)].map(([outcome, count]) => ({ outcome, count }));
    const byCount = (a: { count: number }, b: { count: number }) => b.count - a.count;
    return { report: 'disputes', ...view(w), totals, byReason: byReason.sort(byCount), byOutcome, rows };
  }

  async offenders(request: ReportRequest): Promise<OffendersReport> {
    const w = this.window(request, '7d');
    const min = minimum(request.min);
    const rows = await this.deps.queries.offenders(w, min);
    const offenders = rows.map((r) => ({ ...r, command: r.blacklisted ? null : blacklistCommand(r, w) }));
    return { report: 'offenders', ...view(w), min, offenders };
  }

  private window(request: ReportRequest, fallback: string): ReportWindow {
    const until = this.deps.clock.now();
    const since = parseSince(request.since ?? fallback, until);
    const currency = request.currency ?? null;
    if (currency !== null && !/^[A-Z]{3,5}$/.test(currency)) {
      throw invalid('currency', 'must be an ISO 4217-style code of 3-5 capital letters (USD, EUR, USDC)');
    }
    return { since, until, currency };
  }
}

/** `since` as a time: ISO 8601, or a duration back from `now` (90m, 24h, 7d); at most 366 days back. */
export function parseSince(value: string, now: Date): Date {
  const rule = 'must be an ISO 8601 time in the past or a duration back from now such as 24h, 7d, 90m';
  const rel = /^(\d{1,6})([mhd])$/.exec(value);
  const at = rel ? new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]!]!) : new Date(Date.parse(value));
  if (!rel && !/^\d{4}-\d{2}-\d{2}/.test(value)) throw invalid('since', rule);
  if (Number.isNaN(at.getTime()) || at.getTime() > now.getTime()) throw invalid('since', rule);
  if (now.getTime() - at.getTime() > MAX_WINDOW_DAYS * UNITS.d!) {
    throw invalid('since', `must be at most ${MAX_WINDOW_DAYS} days back`);
  }
  return at;
}

function bucket(by: string | undefined): ReportBucket {
  if (by === undefined || by === 'day' || by === 'hour') return by ?? 'day';
  throw invalid('by', 'must be day or hour');
}

function minimum(min: string | number | undefined): number {
  if (min === undefined) return 3;
  const n = typeof min === 'number' ? min : /^\d{1,4}$/.test(min) ? Number(min) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw invalid('min', 'must be a whole number from 1 to 1000');
  return n;
}

/** `escrow blacklist add` for this party, its value quoted for a POSIX shell. */
export function blacklistCommand(o: OffenderRow, w: ReportWindow): string {
  const days = Math.round((w.until.getTime() - w.since.getTime()) / 3_600_000) / 24;
  const window = Number.isInteger(days) ? `${days} days` : `since ${w.since.toISOString()}`;
  const reason = `RB-04: ${o.disputes} disputes as ${o.role.toLowerCase()} in ${window}`;
  return `escrow blacklist add --kind USER --value ${shellQuote(o.userId)} --reason ${shellQuote(reason)}`;
}

export function shellQuote(value: string): string {
  return /^[A-Za-z0-9._@:+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

const view = (w: ReportWindow): Window => ({
  since: w.since.toISOString(),
  until: w.until.toISOString(),
  currency: w.currency,
});

const add = (a: string, b: string) => (BigInt(a) + BigInt(b)).toString();

function addVolume(t: VolumeTotal, r: VolumeTotal): VolumeTotal {
  return {
    currency: t.currency,
    created: t.created + r.created,
    funded: t.funded + r.funded,
    released: t.released + r.released,
    refunded: t.refunded + r.refunded,
    disputed: t.disputed + r.disputed,
    fundedAmount: add(t.fundedAmount, r.fundedAmount),
    releasedAmount: add(t.releasedAmount, r.releasedAmount),
    refundedAmount: add(t.refundedAmount, r.refundedAmount),
  };
}

const sorted = <T>(m: Map<string, T>): T[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);

function tally(rows: DisputeRow[], key: (r: DisputeRow) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + r.count);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** a / b in percent with two decimals, rounded half up, in integers. */
export function percent(a: number, b: number): string | null {
  if (b === 0) return null;
  const hundredths = Math.floor((a * 10_000 + Math.floor(b / 2)) / b);
  return `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
}
