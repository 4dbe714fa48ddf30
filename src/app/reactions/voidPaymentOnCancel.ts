import type { EscrowReadModel, PaymentRail, StoredEvent } from '../ports/index.js';

/**
 * Reaction: when an escrow is cancelled, its payment intent at the provider is voided, so the buyer can no longer pay
 * it. Runs on the committed event (at least once); voiding is idempotent at the rail.
 */
export function voidPaymentOnCancel(deps: {
  readModel: Pick<EscrowReadModel, 'getEscrow'>;
  rails: ReadonlyMap<string, PaymentRail>;
}): (event: StoredEvent) => Promise<void> {
  return async (event) => {
    if (event.type !== 'EscrowCancelled') return;
    const escrow = await deps.readModel.getEscrow(event.escrowId);
    const rail = escrow && deps.rails.get(escrow.rail);
    if (escrow && rail) await rail.voidPayment({ escrowId: escrow.id, reference: escrow.payment.reference });
  };
}
