/** Longest backoff between two attempts of the same outbox row or settlement. */
export const MAX_BACKOFF_MS = 3_600_000;
