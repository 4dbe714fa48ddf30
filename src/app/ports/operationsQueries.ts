/** Database figures for health, metrics and the operator's status commands (one implementation per database). */
export interface OperationsQueries {
  /** Round trip to the database; throws when it does not answer. */
  ping(): Promise<void>;
  /** Escrows per status. */
  escrowsByStatus(): Promise<Record<string, number>>;
  /** Settlements per status. */
  settlementsByStatus(): Promise<Record<string, number>>;
  /** Open disputes past the other party's answer (`response`) and past the admins' SLA (`sla`) at `now`. */
  disputesOverdue(now: Date): Promise<{ response: number; sla: number }>;
  /** Connection pool figures (PGlite has one in-process connection). */
  poolStats(): { total: number; idle: number; waiting: number };
}
