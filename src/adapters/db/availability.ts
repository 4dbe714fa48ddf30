import { DatabaseUnavailableError } from '../../app/ports/databaseUnavailable.js';
import { databaseUnavailability, isPgError, type AvailabilityChange } from './database.js';

const MESSAGES = {
  unreachable: 'the database cannot be reached',
  busy: 'no database connection became free in time',
  timeout: 'the database did not answer within the statement timeout',
} as const;

/**
 * Whether the database answers, told once per outage: the first connection failure starts one, the first success of
 * a query started after the latest failure ends it. Numbering the queries keeps a late answer (or a late failure) of
 * a query that began before a change from flipping the state back, and successes within `settleMs` of the latest
 * failure do not end it (a server shutting down answers on the connections it has not closed yet, for longer than a
 * second on a loaded machine, while the others fail), so one outage is one pair of log lines.
 */
export class Availability {
  constructor(
    private readonly settleMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  private seq = 0;
  private downSince: { at: number; seq: number } | null = null;
  /** The outage's latest connection failure: the one a success must come after, by settleMs. */
  private lastFailure = { at: 0, seq: 0 };
  private upSeq = 0;
  private readonly listeners = new Set<(change: AvailabilityChange) => void>();

  subscribe(listener: (change: AvailabilityChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Numbers an attempt; pass the number to succeeded/failed. */
  begin(): number {
    return ++this.seq;
  }

  succeeded(attempt: number): void {
    if (!this.downSince || attempt <= this.lastFailure.seq) return;
    const at = this.now();
    if (at - this.lastFailure.at < this.settleMs) return;
    const outageMs = at - this.downSince.at;
    this.downSince = null;
    this.upSeq = this.seq;
    this.emit({ available: true, outageMs });
  }

  /** The error callers see: a DatabaseUnavailableError for "not now", the driver's error for an answer. */
  failed(attempt: number, err: unknown): unknown {
    const reason = databaseUnavailability(err);
    if (!reason) return err;
    if (reason === 'unreachable' && attempt > this.upSeq) {
      this.lastFailure = { at: this.now(), seq: this.seq };
      if (!this.downSince) {
        this.downSince = { ...this.lastFailure };
        this.emit({ available: false, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (err instanceof DatabaseUnavailableError) return err;
    const code = isPgError(err) && err.code ? err.code : undefined;
    return new DatabaseUnavailableError(reason, MESSAGES[reason], code, { cause: err });
  }

  /** Runs `op`, reporting its outcome and translating its failure. */
  async track<T>(op: () => Promise<T>): Promise<T> {
    const attempt = this.begin();
    try {
      const out = await op();
      this.succeeded(attempt);
      return out;
    } catch (err) {
      throw this.failed(attempt, err);
    }
  }

  private emit(change: AvailabilityChange): void {
    for (const l of this.listeners) l(change);
  }
}
