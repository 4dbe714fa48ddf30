import type { DailyCheckReport } from '../app/dailyCheck.js';
import { table } from './table.js';

/** A checklist for a person: one line per item, the next step under each that has one, then the counts. */
export function checklistLines(report: Pick<DailyCheckReport, 'items' | 'counts' | 'ok'>): string[] {
  const lines = table(
    ['STATUS', 'ITEM', 'VALUE'],
    report.items.map((i) => [i.status.toUpperCase(), i.name, i.value]),
  );
  const out: string[] = [lines[0]!];
  report.items.forEach((item, k) => {
    out.push(lines[k + 1]!);
    if (item.next) out.push(`      → ${item.next}`);
  });
  const c = report.counts;
  out.push(
    `${report.items.length} items: ${c.pass} pass, ${c.warn} warn, ${c.fail} fail, ${c['n/a']} n/a — ${report.ok ? 'OK' : 'FAILED'}`,
  );
  return out;
}
