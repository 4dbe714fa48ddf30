import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach } from 'node:test';
import type { SettlementOrder } from '../../../app/ports/index.js';
import { startPaystackServer, type PaystackServer } from '../../../../test/fakes/paystackServer.js';
import type { PaystackSettings } from './config.js';
import { PaystackRail } from './paystackRail.js';

/** Test helpers of the PAYSTACK rail's tests: the fake Paystack, a webhook sink, orders. */
export const SK = 'sk_test_fake0123456789abcdef';
export const DOMAIN = 'payments.example.com';

/** Receives webhooks as the engine's route would: the raw body and the headers. */
export async function webhookSink() {
  const got: { raw: string; headers: Record<string, string | undefined> }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      got.push({ raw, headers: req.headers as Record<string, string | undefined> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    got,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/webhooks/paystack`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The rail against the fake, with a short timeout and no backoff. */
export const railFor = (fake: PaystackServer, extra: Partial<PaystackSettings> = {}) =>
  new PaystackRail({
    secretKey: SK,
    apiUrl: fake.url,
    timeoutMs: 1500, // a loaded CI machine must not time out calls the test expects to answer
    callbackUrl: 'https://shop.example.com/paid',
    customerEmailDomain: DOMAIN,
    retries: 2,
    baseDelayMs: 0,
    ...extra,
  });

export const order = (o: Partial<SettlementOrder> = {}): SettlementOrder => {
  const settlementId = o.settlementId ?? randomUUID();
  return {
    settlementId,
    escrowId: randomUUID(),
    kind: 'PAYOUT',
    amount: 250_000n,
    currency: 'NGN',
    beneficiaryId: 'seller-1',
    paymentReference: 'esc-x',
    fundingTransactionId: null,
    destination: null,
    attempt: 1,
    idempotencyKey: settlementId,
    ...o,
  };
};

export interface PaystackTestContext {
  fake: PaystackServer;
  rail: PaystackRail;
  sink: Awaited<ReturnType<typeof webhookSink>>;
  recipient: string;
  /** An escrow paid at the fake; its transaction id as the engine records it. */
  paidEscrow(amount?: bigint): Promise<{ escrowId: string; reference: string; transactionId: string }>;
}

/** Starts the fake and a webhook sink for the enclosing suite (stopped after it); clears the logs before each test. */
export function withFakePaystack(): PaystackTestContext {
  const ctx = {} as PaystackTestContext;
  before(async () => {
    ctx.sink = await webhookSink();
    ctx.fake = await startPaystackServer({ secretKey: SK, balance: 50_000_000, webhookUrl: ctx.sink.url });
    ctx.rail = railFor(ctx.fake);
    ctx.recipient = ctx.fake.addRecipient({ recipient_code: 'RCP_seller1' }).recipient_code;
  });
  after(async () => {
    await ctx.fake.stop();
    await ctx.sink.close();
  });
  beforeEach(() => {
    ctx.fake.requests.length = 0;
    ctx.sink.got.length = 0;
  });
  ctx.paidEscrow = async (amount = 1_000_000n) => {
    const escrowId = randomUUID();
    const { reference } = await ctx.rail.createPaymentInstructions({
      escrowId,
      amount,
      currency: 'NGN',
      idempotencyKey: `create:${escrowId}`,
    });
    const tx = await ctx.fake.pay(reference);
    return { escrowId, reference, transactionId: String(tx.id) };
  };
  return ctx;
}
