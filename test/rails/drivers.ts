import assert from 'node:assert/strict';
import type { Rail } from '../../src/domain/index.js';
import { FakeStripe } from '../fakes/stripeServer.js';

/**
 * One real rail as the lifecycle suites drive it: the fake of its provider (a local server speaking the provider's
 * HTTP API, signing webhooks as the provider does), the configuration pointing the engine at it, and what a test
 * needs to make money move at the provider and to read what moved.
 */
export interface RailDriver {
  readonly rail: Rail;
  readonly provider: string;
  readonly currency: string;
  /** An escrow amount on this rail, inside its limits. */
  readonly amount: string;
  /** Starts the fake; answers the variables that point the engine at it. */
  start(): Promise<Record<string, string>>;
  /** Where the fake sends its webhooks (the engine's webhook route). */
  connect(webhookUrl: string): void;
  /** A payout destination the provider knows, for `seller`. */
  sellerAccount(seller: string): Promise<string>;
  /** The buyer pays the escrow's instructions in full; resolves once the provider's webhook was answered. */
  pay(payment: { reference: string; depositAddress?: string }, amount: string): Promise<void>;
  /** Settlements the provider finishes later (a webhook) are finished now; no-op where they are synchronous. */
  finishSettlements(): Promise<void>;
  /** What the provider paid out to sellers and back to buyers, in minor units. */
  payouts(): { destination: string; amount: bigint }[];
  refunds(): { amount: bigint }[];
  /** The payment at the provider can no longer be paid (voided on cancel). */
  isVoided(reference: string): boolean;
  /** Deliveries the fake made whose answer was not 2xx (there should be none). */
  refusedDeliveries(): string[];
  stop(): Promise<void>;
}

export class StripeDriver implements RailDriver {
  readonly rail = 'STRIPE' as const;
  readonly provider = 'stripe';
  readonly currency = 'USD';
  readonly amount = '10000';
  readonly fake = new FakeStripe();

  async start() {
    const url = await this.fake.start();
    return {
      STRIPE_SECRET_KEY: this.fake.secretKey,
      STRIPE_WEBHOOK_SECRET: this.fake.webhookSecret,
      STRIPE_API_URL: url,
      STRIPE_TIMEOUT_MS: '2000',
      STRIPE_MAX_NETWORK_RETRIES: '1',
    };
  }

  connect(webhookUrl: string) {
    this.fake.webhookUrl = webhookUrl;
  }

  sellerAccount() {
    return Promise.resolve(this.fake.addAccount().id);
  }

  async pay(payment: { reference: string }) {
    const pi = this.fake.paymentIntents.get(payment.reference);
    assert.ok(pi, `the fake has the PaymentIntent ${payment.reference}`);
    assert.equal(pi.transfer_group, (pi.metadata as { escrow_id: string }).escrow_id, 'transfer_group = escrow id');
    const created = this.fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
    assert.ok(created && !('transfer_data' in created.params), 'separate charges and transfers: no transfer_data');
    assert.equal(pi.transfer_data ?? null, null);
    await this.fake.pay(payment.reference);
    await this.fake.idle();
  }

  async finishSettlements() {
    await this.fake.idle();
  }

  payouts() {
    return [...this.fake.transfers.values()].map((t) => ({
      destination: t.destination as string,
      amount: BigInt(t.amount as number),
    }));
  }

  refunds() {
    return [...this.fake.refunds.values()]
      .filter((r) => r.status === 'succeeded')
      .map((r) => ({ amount: BigInt(r.amount as number) }));
  }

  isVoided(reference: string) {
    return this.fake.paymentIntents.get(reference)?.status === 'canceled';
  }

  refusedDeliveries() {
    return this.fake.deliveries.filter((d) => d.status < 200 || d.status > 299).map((d) => `${d.type} ${d.status}`);
  }

  stop() {
    return this.fake.stop();
  }
}
