// The business reports' reads (`escrow report`, GET /api/admin/reports/*): counts and sums over a window, from the
// committed events, the ledger and the disputes. Amounts are minor units as digit strings.

/** A window [since, until] (both inclusive) and an optional currency. */
export interface ReportWindow {
  since: Date;
  until: Date;
  currency: string | null;
}

export type ReportBucket = 'day' | 'hour';

/** One bucket (UTC day or hour, its start as ISO 8601) of one currency. */
export interface VolumeRow {
  period: string;
  currency: string;
  created: number;
  funded: number;
  released: number;
  refunded: number;
  disputed: number;
  fundedAmount: string;
  releasedAmount: string;
  refundedAmount: string;
}

/** The platform fee revenue account's postings of one bucket and currency. */
export interface FeeRow {
  period: string;
  currency: string;
  fees: string;
  postings: number;
}

/** Disputes opened in the window, by currency, reason and outcome (OPEN, IN_REVIEW, or the resolution). */
export interface DisputeRow {
  currency: string;
  reason: string;
  outcome: string;
  count: number;
}

/** A party to ≥ `min` disputes opened in the window. */
export interface OffenderRow {
  role: 'SELLER' | 'BUYER';
  userId: string;
  disputes: number;
  escrows: number;
  lastDisputeAt: string;
  /** An entry in force blacklists this user id already. */
  blacklisted: boolean;
}

export interface ReportQueries {
  /** Escrow events per bucket and currency: created, funded, released, refunded, disputes opened, and amounts. */
  volume(window: ReportWindow, by: ReportBucket): Promise<VolumeRow[]>;
  /** The postings of platform:fee_revenue per bucket and currency (what `escrow verify` checks balance). */
  fees(window: ReportWindow, by: ReportBucket): Promise<FeeRow[]>;
  /** Disputes opened, grouped by currency, reason and outcome. */
  disputes(window: ReportWindow): Promise<DisputeRow[]>;
  /** Escrows funded per currency (the dispute rate's basis). */
  funded(window: ReportWindow): Promise<Record<string, number>>;
  /** Sellers and buyers party to at least `min` disputes opened in the window, most disputes first. */
  offenders(window: ReportWindow, min: number): Promise<OffenderRow[]>;
}
