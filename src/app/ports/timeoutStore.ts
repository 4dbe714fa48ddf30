export interface DueTimeout {
  escrowId: string;
  version: number;
  deadline: string;
}

export interface TimeoutStore {
  duePaymentDeadlines(now: Date, limit: number): Promise<DueTimeout[]>;
  dueConfirmationDeadlines(now: Date, limit: number): Promise<DueTimeout[]>;
  /** The earliest future deadline, to wake up then instead of waiting for the next poll. */
  nextDeadline(includeConfirmation: boolean): Promise<Date | null>;
}
