const DAY_MS = 86_400_000;

/** `days` whole UTC days after `iso`: deadlines are computed from the command's `now`, never from a clock. */
export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}
