/** What a revocation names: one token by its id (`jti`), or every token of a subject issued before it. */
export type RevocationKind = 'jti' | 'subject';

export const REVOCATION_KINDS: readonly RevocationKind[] = ['jti', 'subject'];

/** One revocation, kept for good with who made it and why. */
export interface TokenRevocation {
  id: string;
  kind: RevocationKind;
  /** The token id, or the subject. */
  value: string;
  reason: string;
  revokedBy: string;
  revokedRole: string;
  /** A subject's tokens issued (iat) before this instant are refused. */
  revokedAt: string;
}

export interface RevocationActor {
  id: string;
  role: string;
}

export interface NewTokenRevocation {
  id: string;
  kind: RevocationKind;
  value: string;
  reason: string;
  actor: RevocationActor;
  at: string;
}

/** What every replica holds in memory: the revoked token ids, and each revoked subject's latest cut-off. */
export interface RevocationEntry {
  kind: RevocationKind;
  value: string;
  revokedAt: string;
}

export interface TokenRevocationStore {
  /**
   * Stores a revocation with its `token.revoke` audit row and a NOTIFY, in one transaction. A token id already
   * revoked keeps its first revocation: `created` false, that revocation returned, nothing written.
   */
  revoke(r: NewTokenRevocation): Promise<{ created: boolean; revocation: TokenRevocation }>;
  /** The revocation of this token id, if any (a dry run's answer). */
  findJti(jti: string): Promise<TokenRevocation | null>;
  /**
   * The token ids revoked after `jtiSince` (an older one names a token expired by now: JWT_MAX_LIFETIME_HOURS bounds
   * every token's life) and each revoked subject's latest cut-off: one query.
   */
  inForce(jtiSince: string): Promise<RevocationEntry[]>;
  /** The revocations, newest first, at most `limit`. */
  list(limit: number): Promise<TokenRevocation[]>;
  /** Calls `onChange` after any revocation commits, in any process, and after a reconnect; returns the unsubscribe. */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}
