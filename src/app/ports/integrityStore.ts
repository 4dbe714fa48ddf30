/** The database-wide checks of `escrow verify` that are not per escrow. */
export interface IntegrityStore {
  escrowIdsAfter(afterId: string | null, limit: number): Promise<string[]>;
  /** How many escrows there are (what `escrow verify`'s progress counts to). */
  escrowCount(): Promise<number>;
  /** Ledger transactions whose postings do not sum to zero per currency. */
  unbalancedTransactions(): Promise<{ transactionId: string; currency: string; sum: string }[]>;
  /** Rows that point at another escrow than their event/command says (postings, outbox, processed commands). */
  crossReferenceErrors(): Promise<string[]>;
  /**
   * The suspense account's invariants: per currency its balance is the sum of the open suspense items and never
   * negative, and each item is resolved (refunded or applied) at most once.
   */
  suspenseProblems(): Promise<string[]>;
}
