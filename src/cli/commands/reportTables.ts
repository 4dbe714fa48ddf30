import type { DisputesReport, FeesReport, OffendersReport, Report, VolumeReport } from '../../app/reports.js';
import { table } from '../table.js';

// What `escrow report …` prints for a person: a heading line with the window, then aligned tables.

const heading = (r: Report) => `${r.report} since ${r.since} until ${r.until}${r.currency ? ` (${r.currency})` : ''}`;

const VOLUME = ['CURRENCY', 'CREATED', 'FUNDED', 'RELEASED', 'REFUNDED', 'DISPUTED', 'FUNDED AMT', 'RELEASED AMT'];

function volumeLines(r: VolumeReport): string[] {
  if (r.totals.length === 0) return [heading(r), 'no escrow activity in the window'];
  const cells = (t: VolumeReport['totals'][number]) => [
    t.currency,
    String(t.created),
    String(t.funded),
    String(t.released),
    String(t.refunded),
    String(t.disputed),
    t.fundedAmount,
    t.releasedAmount,
  ];
  return [
    heading(r),
    ...table(VOLUME, r.totals.map(cells)),
    '',
    `per ${r.by}:`,
    ...table(
      ['PERIOD', ...VOLUME],
      r.periods.map((p) => [p.period, ...cells(p)]),
    ),
  ];
}

function feeLines(r: FeesReport): string[] {
  if (r.totals.length === 0) return [heading(r), `no fee revenue booked on ${r.account} in the window`];
  return [
    `${heading(r)}, ledger account ${r.account} (minor units)`,
    ...table(
      ['CURRENCY', 'FEES', 'POSTINGS'],
      r.totals.map((t) => [t.currency, t.fees, String(t.postings)]),
    ),
    '',
    `per ${r.by}:`,
    ...table(
      ['PERIOD', 'CURRENCY', 'FEES', 'POSTINGS'],
      r.periods.map((p) => [p.period, p.currency, p.fees, String(p.postings)]),
    ),
  ];
}

function disputeLines(r: DisputesReport): string[] {
  const rate = (p: string | null) => (p === null ? '-' : `${p}%`);
  const lines = [
    heading(r),
    ...table(
      ['CURRENCY', 'FUNDED', 'DISPUTES', 'RATE'],
      r.totals.map((t) => [t.currency, String(t.funded), String(t.opened), rate(t.ratePercent)]),
    ),
  ];
  if (r.totals.length === 0) lines.push('nothing funded or disputed in the window');
  if (r.byReason.length > 0) {
    lines.push(
      '',
      ...table(
        ['REASON', 'DISPUTES'],
        r.byReason.map((x) => [x.reason, String(x.count)]),
      ),
    );
    lines.push(
      '',
      ...table(
        ['OUTCOME', 'DISPUTES'],
        r.byOutcome.map((x) => [x.outcome, String(x.count)]),
      ),
    );
  }
  return lines;
}

function offenderLines(r: OffendersReport): string[] {
  const head = `${heading(r)}: parties to ${r.min} or more disputes`;
  if (r.offenders.length === 0) return [head, 'none'];
  return [
    head,
    ...table(
      ['ROLE', 'USER', 'DISPUTES', 'ESCROWS', 'LAST DISPUTE', 'BLACKLIST (add --dry-run to check first)'],
      r.offenders.map((o) => [
        o.role,
        o.userId,
        String(o.disputes),
        String(o.escrows),
        o.lastDisputeAt,
        o.command ?? 'already blacklisted',
      ]),
    ),
  ];
}

/** The human output of a report. */
export function reportText(r: Report): string {
  switch (r.report) {
    case 'volume':
      return `${volumeLines(r).join('\n')}\n`;
    case 'fees':
      return `${feeLines(r).join('\n')}\n`;
    case 'disputes':
      return `${disputeLines(r).join('\n')}\n`;
    case 'offenders':
      return `${offenderLines(r).join('\n')}\n`;
    default: {
      const _exhaustive: never = r;
      return JSON.stringify(_exhaustive);
    }
  }
}
