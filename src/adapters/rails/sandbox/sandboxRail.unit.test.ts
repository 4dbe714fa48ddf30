import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookPayloadError, WebhookSignatureError } from '../../../app/ports/index.js';
import { configureRails, createRails, SHIPPED_RAILS } from '../registry.js';
import { DEV_SANDBOX_SECRET } from './config.js';
import { SandboxRail } from './index.js';

const NOW = 1_796_000_000;
const rail = new SandboxRail({
  webhookSecret: 'a-sandbox-secret-16+',
  apiUrl: 'http://api.test',
  nowSeconds: () => NOW,
});
const order = (amount: bigint, attempt: number) => ({
  settlementId: 's-1',
  escrowId: 'e-1',
  kind: 'PAYOUT' as const,
  amount,
  currency: 'USD',
  beneficiaryId: 'seller-1',
  paymentReference: 'sbx_1',
  fundingTransactionId: 'sbx_txn_1',
  destination: null,
  attempt,
  idempotencyKey: '0190f0c8-0000-7000-8000-000000000001',
});

describe('SANDBOX rail', () => {
  it('payment instructions are deterministic per escrow, with a payUrl on the API', async () => {
    const p = await rail.createPaymentInstructions({ escrowId: '0190f0c8-0000-7000-8000-0000000000aa' });
    assert.deepEqual(p, {
      reference: 'sbx_0190f0c8000070008000' + '0000000000aa',
      payUrl: 'http://api.test/api/sandbox/payments/sbx_0190f0c800007000800000000000' + '00aa/succeed',
    });
  });

  it('verifies its own signature over the raw body and parses the event once', async () => {
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'payment.succeeded',
      created: NOW,
      data: { reference: 'sbx_1', transactionId: 'txn_1', amount: '10000', currency: 'USD' },
    });
    const v = await rail.verifyWebhook(body, { 'x-sandbox-signature': rail.sign(body) });
    assert.deepEqual(v.action, {
      kind: 'payment.succeeded',
      eventId: 'evt_1',
      reference: 'sbx_1',
      transactionId: 'txn_1',
      amount: '10000',
      currency: 'USD',
    });
    assert.deepEqual(v.payload, JSON.parse(body));
  });

  it('refuses a missing, stale, tampered or foreign signature', async () => {
    const body = '{"id":"evt_2","type":"payment.failed","data":{"reference":"sbx_1"}}';
    const other = new SandboxRail({ webhookSecret: 'another-secret-16chars', apiUrl: '', nowSeconds: () => NOW });
    for (const headers of [
      {},
      { 'x-sandbox-signature': rail.sign(body, NOW - 301) },
      { 'x-sandbox-signature': rail.sign(`${body} `) },
      { 'x-sandbox-signature': other.sign(body) },
      { 'x-sandbox-signature': 't=abc,v1=00' },
    ]) {
      await assert.rejects(rail.verifyWebhook(body, headers), WebhookSignatureError);
    }
    await rail.verifyWebhook(body, { 'x-sandbox-signature': rail.sign(body, NOW - 300) });
  });

  it('a signed known event with missing fields is malformed; an unknown type is not supported', async () => {
    const malformed = '{"id":"evt_3","type":"settlement.succeeded","data":{}}';
    await assert.rejects(
      rail.verifyWebhook(malformed, { 'x-sandbox-signature': rail.sign(malformed) }),
      WebhookPayloadError,
    );
    const unknown = '{"id":"evt_4","type":"customer.created","data":{}}';
    const v = await rail.verifyWebhook(unknown, { 'x-sandbox-signature': rail.sign(unknown) });
    assert.deepEqual(v.action, { kind: 'not_supported', eventId: 'evt_4', type: 'customer.created' });
  });

  it('magic amounts: 13 always fails, 14 fails once, 15 fails three times; others succeed', async () => {
    const outcome = async (amount: bigint, attempt: number) =>
      (await rail.executeSettlement(order(amount, attempt))).status;
    assert.equal(await outcome(10013n, 5), 'FAILED');
    assert.deepEqual([await outcome(10014n, 1), await outcome(10014n, 2)], ['FAILED', 'SUCCEEDED']);
    assert.deepEqual([await outcome(10015n, 3), await outcome(10015n, 4)], ['FAILED', 'SUCCEEDED']);
    assert.equal(await outcome(10000n, 1), 'SUCCEEDED');
  });
});

describe('rails registry and the sandbox configuration section', () => {
  const ctx = { production: false, apiUrl: 'http://localhost:3000' };
  it('ships the sandbox; it is on by default outside production with the development secret', () => {
    assert.deepEqual(SHIPPED_RAILS, ['SANDBOX', 'STRIPE', 'PAYSTACK', 'USDC_BASE']);
    const { rails, problems } = configureRails({}, ['SANDBOX'], ctx);
    assert.deepEqual(problems, []);
    assert.deepEqual(rails.enabled, ['SANDBOX']);
    assert.equal(rails.settings.SANDBOX.webhookSecret, DEV_SANDBOX_SECRET);
    assert.deepEqual([...createRails(rails).keys()], ['SANDBOX']);
  });

  it('in production only on request and with a secret of its own; unlisted, it is off', () => {
    const prod = { ...ctx, production: true };
    assert.deepEqual(configureRails({}, ['SANDBOX'], prod).problems, [
      'ESCROW_RAILS: SANDBOX is disabled in production unless SANDBOX_ENABLED=true (with a SANDBOX_WEBHOOK_SECRET of ' +
        'its own, at least 16 characters); or leave SANDBOX out of ESCROW_RAILS',
    ]);
    assert.deepEqual(configureRails({ SANDBOX_ENABLED: 'true' }, ['SANDBOX'], prod).problems, [
      'SANDBOX_WEBHOOK_SECRET: required when the SANDBOX rail is enabled in production (at least 16 characters)',
    ]);
    const on = configureRails({ SANDBOX_ENABLED: 'true', SANDBOX_WEBHOOK_SECRET: 's'.repeat(16) }, ['SANDBOX'], prod);
    assert.deepEqual(on.rails.enabled, ['SANDBOX']);
    assert.deepEqual(configureRails({}, [], ctx).rails.enabled, []);
  });
});
