// What the daily check (`escrow check`) reads from the database beyond the status service.

/** The daily check's figures: each one indexed count (SqlDailyFigures). */
export interface DailyFigures {
  /** Escrows awaiting funds since before `cutoff` whose payment deadline passed before `now`. */
  awaitingFundsSince(cutoff: Date, now: Date): Promise<number>;
  /** Escrows delivered since before `cutoff` whose confirmation deadline passed before `now`. */
  deliveredSince(cutoff: Date, now: Date): Promise<number>;
  /** Provider events stored and not applied (`escrow webhooks failed`). */
  webhooksUnprocessed(): Promise<number>;
  suspenseOpen(): Promise<number>;
  disputesOpen(): Promise<number>;
  /** Connections in use on the database server and its limit; null where the server does not tell (PGlite). */
  connections(): Promise<{ used: number; max: number } | null>;
  /** Size of the database in bytes; null where unknown. */
  databaseBytes(): Promise<bigint | null>;
  /** Per currency, since `since`: escrows created, and of them funded, released, refunded, disputed, cancelled. */
  activity(since: Date): Promise<ActivityLine[]>;
}

export interface ActivityLine {
  currency: string;
  created: number;
  released: number;
  refunded: number;
  disputed: number;
  cancelled: number;
  /** The amounts of the escrows created and released since (minor units). */
  releasedVolume: bigint;
}
