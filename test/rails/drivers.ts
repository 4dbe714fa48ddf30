import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Rail } from '../../src/domain/index.js';
import { FakeCustodian } from '../fakes/custodianServer.js';
import { PaystackServer } from '../fakes/paystackServer.js';
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

export class PaystackDriver implements RailDriver {
  readonly rail = 'PAYSTACK' as const;
  readonly provider = 'paystack';
  readonly currency = 'NGN';
  readonly amount = '500000';
  readonly secretKey = 'sk_test_0a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
  readonly fake = new PaystackServer({ secretKey: this.secretKey, balance: 0 });

  async start() {
    await this.fake.start();
    return {
      PAYSTACK_SECRET_KEY: this.secretKey,
      PAYSTACK_API_URL: this.fake.url,
      PAYSTACK_TIMEOUT_MS: '2000',
      PAYSTACK_CUSTOMER_EMAIL_DOMAIN: 'buyers.example.com',
    };
  }

  connect(webhookUrl: string) {
    this.fake.webhookUrl = webhookUrl;
  }

  sellerAccount() {
    return Promise.resolve(this.fake.addRecipient().recipient_code);
  }

  async pay(payment: { reference: string; payUrl?: string }) {
    assert.ok(this.fake.transactions.has(payment.reference), `Paystack has the transaction ${payment.reference}`);
    assert.ok(payment.payUrl, 'payUrl is the authorization URL');
    const delivery = (await this.fake.pay(payment.reference)) && this.fake.deliveries.at(-1);
    assert.equal(delivery?.event, 'charge.success');
  }

  /** Paystack transfers and refunds finish later: its final word comes as a webhook. */
  async finishSettlements() {
    for (const t of this.fake.transfers.values()) {
      if (t.status === 'pending' || t.status === 'otp') await this.fake.completeTransfer(t.reference, 'success');
    }
    for (const r of this.fake.refunds) {
      if (r.status === 'pending' || r.status === 'processing') await this.fake.completeRefund(r.id, 'processed');
    }
  }

  payouts() {
    const byId = new Map([...this.fake.recipients.values()].map((r) => [r.id, r.recipient_code]));
    return [...this.fake.transfers.values()]
      .filter((t) => t.status === 'success')
      .map((t) => ({ destination: byId.get(t.recipient) ?? String(t.recipient), amount: BigInt(t.amount) }));
  }

  refunds() {
    return this.fake.refunds.filter((r) => r.status === 'processed').map((r) => ({ amount: BigInt(r.amount) }));
  }

  /** Paystack cannot cancel an initialized transaction (it expires); money paid after a cancel goes to suspense. */
  isVoided() {
    return true;
  }

  refusedDeliveries() {
    return this.fake.deliveries.filter((d) => d.status < 200 || d.status > 299).map((d) => `${d.event} ${d.status}`);
  }

  stop() {
    return this.fake.stop();
  }
}

const wallet = () => `0x${randomBytes(20).toString('hex')}`;

export class UsdcDriver implements RailDriver {
  readonly rail = 'USDC_BASE' as const;
  readonly provider = 'custodian';
  readonly currency = 'USDC';
  /** 50 USDC (6 decimals). */
  readonly amount = '50000000';
  readonly fake = new FakeCustodian('custodian-test-api-key-0123', 'custodian-test-webhook-secret-4567');
  /** The addresses buyers paid from: refunds must go back there. */
  readonly payers = new Set<string>();
  /** What the next payment is paid from (tests set a sanctioned one). */
  nextPayer: string | null = null;

  async start() {
    await this.fake.start();
    this.fake.autoComplete = false;
    return {
      CUSTODIAN_API_URL: this.fake.url,
      CUSTODIAN_API_KEY: this.fake.apiKey,
      CUSTODIAN_WEBHOOK_SECRET: this.fake.webhookSecret,
      CUSTODIAN_TIMEOUT_MS: '2000',
      USDC_MIN_CONFIRMATIONS: '12',
    };
  }

  connect(webhookUrl: string) {
    this.fake.webhookUrl = webhookUrl;
  }

  sellerAccount() {
    return Promise.resolve(wallet());
  }

  async pay(payment: { reference: string; depositAddress?: string }, amount: string) {
    assert.match(payment.depositAddress ?? '', /^0x[0-9a-f]{40}$/, 'a deposit address per escrow');
    const from = this.nextPayer ?? wallet();
    this.nextPayer = null;
    this.payers.add(from);
    const d = await this.fake.deposit(payment.reference, { from, amount, confirmations: 1 });
    // below USDC_MIN_CONFIRMATIONS the deposit is only recorded; at 12 it funds the escrow
    await this.fake.confirm(d.txHash, 12);
  }

  /** Transfers out confirm on chain later: the custodian's transfer.updated webhook brings the final word. */
  async finishSettlements() {
    for (const t of this.fake.transfers) {
      if (t.status === 'submitted' || t.status === 'broadcast')
        await this.fake.completeTransfer(t.reference, 'confirmed');
    }
  }

  payouts() {
    return this.fake.transfers
      .filter((t) => t.status === 'confirmed' && !this.payers.has(t.destination))
      .map((t) => ({ destination: t.destination, amount: BigInt(t.amount) }));
  }

  refunds() {
    return this.fake.transfers
      .filter((t) => t.status === 'confirmed' && this.payers.has(t.destination))
      .map((t) => ({ amount: BigInt(t.amount) }));
  }

  isVoided(reference: string) {
    return [...this.fake.addresses.values()].some((a) => a.reference === reference && a.status === 'closed');
  }

  refusedDeliveries() {
    return this.fake.sentWebhooks
      .filter((w) => w.status < 200 || w.status > 299)
      .map((w) => `${w.body.slice(0, 80)} ${w.status}`);
  }

  stop() {
    return this.fake.stop();
  }
}
