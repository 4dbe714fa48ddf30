import { randomUUID } from 'node:crypto';
import { DomainError } from '../../../domain/index.js';
import type { EscrowReadModel, PaymentSimulator, SimulatedPayment, WebhookIntake } from '../../../app/ports/index.js';
import { SANDBOX_MAGIC, SANDBOX_SIGNATURE_HEADER, type SandboxRail } from './sandboxRail.js';
import type { SandboxWebhookBody } from './webhook.js';

/**
 * Plays the buyer and the sandbox provider: builds the provider's signed webhook for a payment and delivers it
 * through the same WebhookProcessor a real provider's HTTP call reaches (verify, store raw, dedupe, process).
 */
export class SandboxPaymentSimulator implements PaymentSimulator {
  constructor(private readonly deps: { rail: SandboxRail; webhooks: WebhookIntake; readModel: EscrowReadModel }) {}

  async pay(
    target: string,
    opts: { outcome?: 'succeed' | 'fail'; amount?: string; currency?: string } = {},
  ): Promise<SimulatedPayment> {
    const escrow = await this.deps.readModel.paymentTarget(target);
    if (!escrow || escrow.rail !== 'SANDBOX') {
      throw new DomainError('ESCROW_NOT_FOUND', `no SANDBOX escrow with id or payment reference ${target}`);
    }
    const declined = opts.outcome === 'fail' || escrow.amount % 100n === SANDBOX_MAGIC.paymentDeclined;
    const body: SandboxWebhookBody = {
      id: `evt_${randomUUID()}`,
      type: declined ? 'payment.failed' : 'payment.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: {
        reference: escrow.reference,
        transactionId: `sbx_txn_${randomUUID()}`,
        amount: opts.amount ?? escrow.due.toString(),
        currency: opts.currency ?? escrow.currency,
        ...(declined ? { reason: 'card_declined' } : {}),
      },
    };
    const rawBody = JSON.stringify(body);
    const headers = { [SANDBOX_SIGNATURE_HEADER]: this.deps.rail.sign(rawBody), 'content-type': 'application/json' };
    const outcome = await this.deps.webhooks.receive('sandbox', rawBody, headers);
    return { rawBody, headers, outcome };
  }
}
