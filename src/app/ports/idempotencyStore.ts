/** A response kept for replay: status, content type and the body byte for byte. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'in-flight'; requestHash: string; owner: string | null }
  | { kind: 'done'; requestHash: string; response: StoredResponse };

/** A takeover of a key in flight for a process that is gone: the new request's hash, times and owner. */
export interface TakeOver {
  id: string;
  requestHash: string;
  deadOwner: string;
  owner: string;
  now: Date;
  lockMs: number;
  ttlMs: number;
}

/**
 * Where keyed responses are kept for IDEMPOTENCY_TTL_HOURS (PostgreSQL or Redis). Times come from the engine's
 * clock. A record is logically gone once `expiresAt` has passed, whatever the backend still holds.
 */
export interface IdempotencyStore {
  /**
   * Takes the key for this request unless a live record holds it: a stored response (`done`) or another request
   * still in flight whose lock has not run out. An expired record, or a lock left by a request that died, is taken
   * over. `owner` (this process's instance id) is kept with the lock, and told with an in-flight record.
   */
  claim(id: string, requestHash: string, now: Date, lockMs: number, ttlMs: number, owner?: string): Promise<Claim>;
  /**
   * Takes over a key still in flight for `deadOwner` (a process whose heartbeat stopped) for this request, whatever its
   * lock says; false when the record changed meanwhile (completed, released, or taken by someone else).
   */
  takeOver(claim: TakeOver): Promise<boolean>;
  /** Stores the response of the request holding the key. */
  complete(id: string, requestHash: string, response: StoredResponse, now: Date, ttlMs: number): Promise<void>;
  /** Lets the key go without a response (the request failed in a way a retry may fix). */
  release(id: string, requestHash: string): Promise<void>;
  /** Deletes expired records; returns how many. */
  prune(now: Date): Promise<number>;
}
