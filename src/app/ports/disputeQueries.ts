/** A dispute as the admins' queue shows it: which escrow, what about, who must act by when. */
export interface DisputeSummary {
  disputeId: string;
  escrowId: string;
  milestoneId: string | null;
  openedBy: string;
  reason: string;
  status: 'OPEN' | 'IN_REVIEW';
  reviewerId: string | null;
  createdAt: string;
  /** When the other party's answer is due, and whether it came (a submission by the other party). */
  respondBy: string;
  responded: boolean;
  /** When the admins' ruling is due (DISPUTE_SLA_DAYS after opening). */
  slaDueAt: string;
  /** The deadlines already passed at `now`: RESPONSE (no answer from the other party in time), SLA. */
  overdue: ('RESPONSE' | 'SLA')[];
  /** The deadline that comes (or came) first among those still open: the queue's sort key. */
  nextDeadline: string;
}

export interface DisputeFilter {
  /** Only disputes past a deadline at `now`. */
  overdue?: boolean;
  now: Date;
  limit: number;
}

/** The open disputes (OPEN, IN_REVIEW), soonest deadline first: `escrow disputes`, GET /api/admin/disputes, /metrics. */
export interface DisputeQueries {
  openDisputes(filter: DisputeFilter): Promise<DisputeSummary[]>;
  /** Open disputes past each deadline at `now`. */
  overdueCounts(now: Date): Promise<{ response: number; sla: number }>;
}
