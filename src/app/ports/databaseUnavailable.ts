/**
 * The database cannot be reached, or did not answer in time: nothing was decided, retry later. Storage adapters throw
 * it for connection failures, a full pool and statement timeouts; the API answers it with 503 and Retry-After, and a
 * Kafka worker retries the command instead of dead-lettering it.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(
    /** unreachable: no connection; busy: no free connection in time; timeout: past the statement timeout. */
    readonly reason: 'unreachable' | 'busy' | 'timeout',
    message: string,
    /** The driver's code (SQLSTATE or errno), when it gave one. */
    readonly code: string = 'DATABASE_UNAVAILABLE',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
