import type { StoredEvent } from '../ports/index.js';

export { voidPaymentOnCancel } from './voidPaymentOnCancel.js';

/** A named side effect of committed events, delivered at least once and in order per escrow. */
export interface Reaction {
  name: string;
  handle(event: StoredEvent): Promise<void>;
}
