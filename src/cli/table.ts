/**
 * What the commands print for a person: a heading line and one line per row, each column padded to its widest cell,
 * two spaces apart, trailing spaces trimmed (the last column, an error or a detail, is never padded out).
 */
export function table(headings: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headings.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headings), ...rows.map(line)];
}
