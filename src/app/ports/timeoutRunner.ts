export interface TimeoutRunSummary {
  expired: number;
  deliveryTimeouts: number;
  skipped: number;
  due: { kind: 'PAYMENT_DEADLINE' | 'CONFIRMATION_DEADLINE'; escrowId: string; deadline: string }[];
}

/** Applies due payment and confirmation deadlines once, through the command path (the timeouts role, the admin API). */
export interface TimeoutRunner {
  runOnce(opts?: { dryRun?: boolean }): Promise<TimeoutRunSummary>;
}
