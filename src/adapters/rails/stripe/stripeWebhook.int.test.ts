import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import Stripe from 'stripe';
import { WebhookPayloadError, WebhookSignatureError, type WebhookAction } from '../../../app/ports/index.js';
import { FakeStripe } from '../../../../test/fakes/stripeServer.js';
import { order, railFor } from './stripe.kit.js';
import type { StripeRail } from './stripeRail.js';

describe('STRIPE webhooks: signed by the fake as Stripe signs them, verified and normalised by the rail', () => {
  const fake = new FakeStripe();
  const actions: WebhookAction[] = [];
  let rail: StripeRail;
  /** The engine's webhook route in miniature: the raw bytes and headers go to verifyWebhook. */
  const receiver: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const headers = { 'stripe-signature': req.headers['stripe-signature'] as string | undefined };
      rail.verifyWebhook(raw, headers).then(
        (v) => (actions.push(v.action), res.writeHead(200).end()),
        () => res.writeHead(400).end(),
      );
    });
  });
  before(async () => {
    rail = railFor(await fake.start(), fake);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    fake.webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/webhooks/stripe`;
  });
  after(async () => {
    await fake.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
  beforeEach(() => (actions.length = 0));

  const verify = (event: unknown, opts?: { secret?: string; timestamp?: number }) => {
    const { rawBody, headers } = fake.signedWebhook(event, opts);
    return rail.verifyWebhook(rawBody, headers);
  };

  async function paid(amount = 10_000n) {
    const escrowId = randomUUID();
    const input = { escrowId, amount, currency: 'USD', idempotencyKey: randomUUID() };
    const { reference } = await rail.createPaymentInstructions(input);
    const pi = await fake.pay(reference);
    return { escrowId, reference, charge: pi.latest_charge as string };
  }

  it('payment_intent.succeeded → payment.succeeded with the charge id, amount received and upper-case currency', async () => {
    const { reference, charge } = await paid(4_321n);
    const [a] = actions;
    assert.equal(a!.kind, 'payment.succeeded');
    assert.deepEqual(
      { ...a, eventId: undefined },
      {
        kind: 'payment.succeeded',
        eventId: undefined,
        reference,
        transactionId: charge,
        amount: '4321',
        currency: 'USD',
      },
    );
    assert.match(a!.eventId, /^evt_/);
  });

  it('payment_intent.payment_failed → payment.failed with the decline code and message', async () => {
    const { reference } = await rail.createPaymentInstructions({
      escrowId: randomUUID(),
      amount: 100n,
      currency: 'USD',
      idempotencyKey: randomUUID(),
    });
    const pi = await fake.decline(reference, 'insufficient_funds', 'Your card has insufficient funds.');
    assert.deepEqual(
      actions.map((a) => ({ ...a, eventId: '' })),
      [
        {
          kind: 'payment.failed',
          eventId: '',
          reference,
          transactionId: pi.latest_charge,
          reason: 'insufficient_funds: Your card has insufficient funds.',
        },
      ],
    );
  });

  it('transfer.created → settlement.succeeded for our settlement id; transfer.reversed → settlement.reversed', async () => {
    const { escrowId, charge } = await paid();
    const o = order({ kind: 'PAYOUT', escrowId, fundingTransactionId: charge, destination: fake.addAccount().id });
    actions.length = 0;
    const out = (await rail.executeSettlement(o)) as { providerReference: string };
    await fake.idle();
    assert.deepEqual(
      actions.map((a) => ({ ...a, eventId: '' })),
      [
        {
          kind: 'settlement.succeeded',
          eventId: '',
          settlementId: o.settlementId,
          providerReference: out.providerReference,
        },
      ],
    );
    await fake.reverseTransfer(out.providerReference);
    assert.equal(actions[1]!.kind, 'settlement.reversed');
    assert.equal((actions[1] as { settlementId: string }).settlementId, o.settlementId);
    assert.match((actions[1] as { reason: string }).reason, /reversed \(10000 of 10000 USD\)/);
  });

  it('charge.refunded → settlement.succeeded for the newest refund of ours; refund.updated failed → settlement.failed', async () => {
    const { escrowId, charge } = await paid();
    const first = order({ kind: 'REFUND', escrowId, amount: 1_000n, fundingTransactionId: charge });
    const second = order({ kind: 'REFUND', escrowId, amount: 2_000n, fundingTransactionId: charge });
    actions.length = 0;
    const r1 = (await rail.executeSettlement(first)) as { providerReference: string };
    await fake.idle();
    const r2 = (await rail.executeSettlement(second)) as { providerReference: string };
    await fake.idle();
    assert.deepEqual(
      actions.map((a) => [
        a.kind,
        (a as { settlementId: string }).settlementId,
        (a as { providerReference: string }).providerReference,
      ]),
      [
        ['settlement.succeeded', first.settlementId, r1.providerReference],
        ['settlement.succeeded', second.settlementId, r2.providerReference],
      ],
    );
    await fake.failRefund(r2.providerReference, 'expired_or_canceled_card');
    assert.deepEqual(
      { ...actions[2], eventId: '' },
      {
        kind: 'settlement.failed',
        eventId: '',
        settlementId: second.settlementId,
        reason: `stripe: refund ${r2.providerReference} failed: expired_or_canceled_card`,
        settlementKey: second.idempotencyKey,
      },
    );
  });

  it('charge.dispute.created → payment.disputed by the payment intent', async () => {
    const { reference } = await paid(5_000n);
    actions.length = 0;
    await fake.dispute(reference, 'product_not_received');
    assert.deepEqual(
      { ...actions[0], eventId: '' },
      {
        kind: 'payment.disputed',
        eventId: '',
        reference,
        reason: 'product_not_received',
        amount: '5000',
        currency: 'USD',
      },
    );
  });

  it('what is not ours or not in the payload is not_supported; unknown types too', async () => {
    const charge = { id: 'ch_1', object: 'charge', amount: 100, amount_refunded: 100, currency: 'usd' };
    const noRefunds = await verify(fake.event('charge.refunded', charge));
    assert.equal(noRefunds.action.kind, 'not_supported');
    const foreign = { ...charge, refunds: { data: [{ id: 're_1', status: 'succeeded', metadata: {} }] } };
    assert.equal((await verify(fake.event('charge.refunded', foreign))).action.kind, 'not_supported');
    const transfer = { id: 'tr_1', object: 'transfer', amount: 1, currency: 'usd', metadata: {} };
    assert.equal((await verify(fake.event('transfer.created', transfer))).action.kind, 'not_supported');
    const other = await verify(fake.event('customer.created', { id: 'cus_1', object: 'customer' }));
    assert.deepEqual(
      { ...other.action, eventId: '' },
      { kind: 'not_supported', eventId: '', type: 'customer.created' },
    );
    assert.equal((other.payload as { type: string }).type, 'customer.created');
  });

  it('refuses signatures that are missing, tampered, stale (> 300 s) or made with another secret', async () => {
    const event = fake.event('payment_intent.succeeded', { id: 'pi_1', amount: 1, currency: 'usd' });
    const { rawBody, headers } = fake.signedWebhook(event);
    assert.equal((await rail.verifyWebhook(rawBody, headers)).action.kind, 'payment.succeeded');
    const refused = (p: Promise<unknown>) => assert.rejects(p, WebhookSignatureError);
    await refused(rail.verifyWebhook(rawBody, {}));
    await refused(rail.verifyWebhook(rawBody.replace('"amount": 1', '"amount": 100000'), headers));
    await refused(verify(event, { timestamp: Math.floor(Date.now() / 1000) - 301 }));
    await refused(verify(event, { secret: 'whsec_someone_else' }));
    // Within the tolerance is accepted.
    assert.equal(
      (await verify(event, { timestamp: Math.floor(Date.now() / 1000) - 200 })).action.kind,
      'payment.succeeded',
    );
  });

  it('a signed body that is no event, or a known event missing its fields, is a payload error', async () => {
    const notJson = 'this is not json';
    const header = Stripe.webhooks.generateTestHeaderString({ payload: notJson, secret: fake.webhookSecret });
    await assert.rejects(rail.verifyWebhook(notJson, { 'stripe-signature': header }), WebhookPayloadError);
    await assert.rejects(verify([1, 2]), WebhookPayloadError);
    await assert.rejects(verify({ object: 'event' }), WebhookPayloadError);
    await assert.rejects(verify(fake.event('payment_intent.succeeded', { id: 'pi_1' })), WebhookPayloadError);
  });
});
