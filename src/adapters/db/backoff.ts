/** Longest backoff between two attempts of the same outbox row or settlement. */
export const MAX_BACKOFF_MS = 3_600_000;

/**
 * Delay before the n-th (1-based) attempt to reconnect a lost connection: 250 ms doubling up to 5 s, so a database
 * that comes back is found within seconds without a reconnect storm while it is away.
 */
export const reconnectDelayMs = (attempt: number, baseMs = 250, maxMs = 5_000): number =>
  Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
