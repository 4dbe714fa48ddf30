import type { EscrowRepairs } from './escrowRebuild.js';
import type { OperatorViews } from './operatorViews.js';

/** The operator's views and repairs (SPEC §8): what the admin routes and the CLI commands call. */
export interface OperatorServices {
  views: OperatorViews;
  repairs: EscrowRepairs;
}
