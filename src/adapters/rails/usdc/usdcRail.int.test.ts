import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RailError, WebhookPayloadError, WebhookSignatureError } from '../../../app/ports/index.js';
import { custodian, lastAction, NOW, PAYER, rail, useFakeCustodian } from './usdcRail.kit.js';

useFakeCustodian();

describe('USDC_BASE: deposit addresses', () => {
  it('creates one per escrow with the contract request shape, auth and idempotency key', async () => {
    const before = custodian.requests.length;
    const out = await rail().createPaymentInstructions({
      escrowId: 'esc-create-1',
      amount: 1_005_000n,
      currency: 'USDC',
      idempotencyKey: 'cmd-1',
    });
    const [req] = custodian.requests.slice(before);
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, '/v1/deposit-addresses');
    assert.equal(req?.headers.authorization, 'Bearer custodian-test-api-key');
    assert.equal(req?.headers['idempotency-key'], 'cmd-1');
    assert.deepEqual(req?.body, {
      reference: 'esc-create-1',
      asset: 'USDC',
      network: 'base',
      expectedAmount: '1005000',
    });
    assert.equal(out.reference, 'esc-create-1');
    assert.match(out.depositAddress ?? '', /^0x[0-9a-f]{40}$/);
    const again = await rail().createPaymentInstructions({
      escrowId: 'esc-create-1',
      amount: 1_005_000n,
      currency: 'USDC',
      idempotencyKey: 'cmd-1',
    });
    assert.deepEqual(again, out);
    assert.equal([...custodian.addresses.values()].filter((a) => a.reference === 'esc-create-1').length, 1);
  });

  it('retries a 500 and a 429 with the same idempotency key, then succeeds', async () => {
    custodian.failNext(1);
    custodian.rateLimitNext(1);
    const before = custodian.requests.length;
    await rail().createPaymentInstructions({
      escrowId: 'esc-retry',
      amount: 1n,
      currency: 'USDC',
      idempotencyKey: 'cmd-retry',
    });
    const sent = custodian.requests.slice(before);
    assert.equal(sent.length, 3);
    assert.deepEqual(
      sent.map((r) => r.headers['idempotency-key']),
      ['cmd-retry', 'cmd-retry', 'cmd-retry'],
    );
  });

  it('retries after a timeout; gives up as a retryable RailError when every attempt hangs', async () => {
    custodian.hangNext(1);
    await rail().createPaymentInstructions({
      escrowId: 'esc-hang',
      amount: 1n,
      currency: 'USDC',
      idempotencyKey: 'cmd-hang',
    });
    custodian.hangNext(3);
    await assert.rejects(
      rail().createPaymentInstructions({
        escrowId: 'esc-hang2',
        amount: 1n,
        currency: 'USDC',
        idempotencyKey: 'cmd-hang2',
      }),
      (e: unknown) => e instanceof RailError && e.retryable && e.details.status === 0,
    );
  });

  it('a 4xx is not retried and carries the provider code and request id', async () => {
    custodian.failNext(1, 400);
    const before = custodian.requests.length;
    await assert.rejects(
      rail().createPaymentInstructions({
        escrowId: 'esc-400',
        amount: 1n,
        currency: 'USDC',
        idempotencyKey: 'cmd-400',
      }),
      (e: unknown) =>
        e instanceof RailError && !e.retryable && /internal_error/.test(e.message) && /request id req_/.test(e.message),
    );
    assert.equal(custodian.requests.length - before, 1);
  });

  it('a bad API key is refused (401, not retried)', async () => {
    await assert.rejects(
      rail({ apiKey: 'wrong-key-wrong-key' }).createPaymentInstructions({
        escrowId: 'e401',
        amount: 1n,
        currency: 'USDC',
        idempotencyKey: 'k401',
      }),
      (e: unknown) => e instanceof RailError && e.details.status === 401 && !e.retryable,
    );
  });

  it('voidPayment closes the address; again, or unknown, or a 404 on close is success', async () => {
    const r = rail();
    await r.createPaymentInstructions({
      escrowId: 'esc-void',
      amount: 1n,
      currency: 'USDC',
      idempotencyKey: 'cmd-void',
    });
    await r.voidPayment({ escrowId: 'esc-void', reference: 'esc-void' });
    const a = [...custodian.addresses.values()].find((x) => x.reference === 'esc-void');
    assert.equal(a?.status, 'closed');
    assert.equal(custodian.calls('POST', `/v1/deposit-addresses/${a?.id}/close`).length, 1);
    await r.voidPayment({ escrowId: 'esc-void', reference: 'esc-void' });
    assert.equal(custodian.calls('POST', `/v1/deposit-addresses/${a?.id}/close`).length, 1, 'closed: not asked again');
    await r.voidPayment({ escrowId: 'nothing', reference: 'nothing' });
    await r.createPaymentInstructions({
      escrowId: 'esc-void404',
      amount: 1n,
      currency: 'USDC',
      idempotencyKey: 'cmd-void404',
    });
    const gone: typeof fetch = (input, init) =>
      (input instanceof Request ? input.url : input.toString()).endsWith('/close')
        ? Promise.resolve(new Response('{"error":{"code":"not_found"}}', { status: 404 }))
        : fetch(input, init);
    await rail({ fetch: gone }).voidPayment({ escrowId: 'esc-void404', reference: 'esc-void404' });
  });
});

describe('USDC_BASE: deposits and their webhooks', () => {
  it('pending below USDC_MIN_CONFIRMATIONS, succeeded at it, with the payer; the confirmed event id is stable', async () => {
    const r = rail();
    const { reference } = await r.createPaymentInstructions({
      escrowId: 'esc-dep',
      amount: 1_000_000n,
      currency: 'USDC',
      idempotencyKey: 'cmd-dep',
    });
    const d = await custodian.deposit(reference, { from: PAYER, amount: '1000000', confirmations: 3 });
    const pending = lastAction();
    assert.deepEqual(pending, {
      kind: 'payment.pending',
      eventId: `deposit:${d.id}:pending:3`,
      reference,
      transactionId: d.txHash,
      detail: '3/12 confirmations',
    });
    await custodian.confirm(d.txHash, 11);
    assert.equal(lastAction().kind, 'payment.pending', 'the custodian says confirmed, but 11 < 12');
    await custodian.confirm(d.txHash, 12);
    const ok = lastAction();
    assert.deepEqual(ok, {
      kind: 'payment.succeeded',
      eventId: `deposit:${d.id}:confirmed`,
      reference,
      transactionId: d.txHash,
      amount: '1000000',
      currency: 'USDC',
      payer: PAYER.toLowerCase(),
    });
    await custodian.confirm(d.txHash, 13);
    assert.equal(lastAction().eventId, ok.eventId, 'a later update of the confirmed deposit is the same event');
    assert.notEqual(pending.eventId, ok.eventId);
    const looked = await r.lookupPayment({ escrowId: 'esc-dep', reference });
    assert.deepEqual(looked, {
      status: 'succeeded',
      transactionId: d.txHash,
      amount: '1000000',
      currency: 'USDC',
      eventId: ok.eventId,
      payer: PAYER.toLowerCase(),
    });
  });

  it('a redelivered webhook normalises to the same action', async () => {
    const { reference } = await rail().createPaymentInstructions({
      escrowId: 'esc-redeliver',
      amount: 5n,
      currency: 'USDC',
      idempotencyKey: 'c-rd',
    });
    await custodian.deposit(reference, { from: PAYER, amount: '5', confirmations: 20 });
    const sent = custodian.sentWebhooks.at(-1)!;
    const a = await rail().verifyWebhook(sent.body, sent.headers);
    const b = await rail().verifyWebhook(sent.body, sent.headers);
    assert.deepEqual(a.action, b.action);
    assert.equal(a.action.kind, 'payment.succeeded');
  });

  it('a failed deposit → payment.failed; lookups say none / pending / failed', async () => {
    const r = rail();
    assert.deepEqual(await r.lookupPayment({ escrowId: 'x', reference: 'esc-none' }), {
      status: 'none',
      detail: 'no deposit for reference esc-none',
    });
    const { reference } = await r.createPaymentInstructions({
      escrowId: 'esc-fail',
      amount: 5n,
      currency: 'USDC',
      idempotencyKey: 'c-fail',
    });
    const d = await custodian.deposit(reference, { from: PAYER, amount: '5', confirmations: 2 });
    assert.equal((await r.lookupPayment({ escrowId: 'esc-fail', reference })).status, 'pending');
    await custodian.failDeposit(d.txHash, 'reorg');
    assert.deepEqual(lastAction(), {
      kind: 'payment.failed',
      eventId: `deposit:${d.id}:failed`,
      reference,
      transactionId: d.txHash,
      reason: 'reorg',
    });
    assert.deepEqual(await r.lookupPayment({ escrowId: 'esc-fail', reference }), {
      status: 'failed',
      transactionId: d.txHash,
      reason: 'reorg',
      eventId: `deposit:${d.id}:failed`,
    });
  });

  it('USDC_MIN_CONFIRMATIONS is a setting', async () => {
    const body = custodian.event(
      'deposit.updated',
      {
        id: 'dep_x',
        reference: 'r',
        txHash: '0xt',
        from: PAYER,
        amount: '1',
        asset: 'USDC',
        network: 'base',
        confirmations: 3,
        status: 'confirmed',
      },
      'c',
    );
    assert.equal(
      (await rail({ minConfirmations: 3 }).verifyWebhook(body, custodian.sign(body))).action.kind,
      'payment.succeeded',
    );
    assert.equal(
      (await rail({ minConfirmations: 4 }).verifyWebhook(body, custodian.sign(body))).action.kind,
      'payment.pending',
    );
  });
});

describe('USDC_BASE: webhook signatures and payloads', () => {
  const body = JSON.stringify({
    id: 'evt_1',
    type: 'deposit.updated',
    created: NOW,
    data: {
      id: 'dep_1',
      reference: 'r1',
      txHash: '0xabc',
      from: PAYER,
      amount: '10',
      asset: 'USDC',
      network: 'base',
      confirmations: 1,
      status: 'pending',
    },
  });
  const refused = (headers: Record<string, string | undefined>, raw = body, why?: RegExp) =>
    assert.rejects(
      rail().verifyWebhook(raw, headers),
      (e: unknown) => e instanceof WebhookSignatureError && (!why || why.test(e.message)),
    );

  it('accepts a correct signature, within 300 s either side', async () => {
    assert.equal((await rail().verifyWebhook(body, custodian.sign(body))).action.kind, 'payment.pending');
    assert.ok(await rail().verifyWebhook(body, custodian.sign(body, NOW - 300)));
    assert.ok(await rail().verifyWebhook(body, custodian.sign(body, NOW + 300)));
  });

  it('refuses missing, malformed, tampered, stale, future and wrongly keyed signatures', async () => {
    const good = custodian.sign(body);
    await refused({}, body, /missing x-custodian-timestamp/);
    await refused({ 'x-custodian-timestamp': good['x-custodian-timestamp'] }, body, /missing x-custodian-signature/);
    await refused({ ...good, 'x-custodian-signature': 'zz' }, body, /malformed/);
    await refused({ ...good, 'x-custodian-timestamp': 'soon' }, body, /malformed/);
    await refused(good, body.replace('"10"', '"1000"'), /does not match/);
    await refused(custodian.sign(body, NOW - 301), body, /tolerance/);
    await refused(custodian.sign(body, NOW + 301), body, /tolerance/);
    await refused(custodian.sign(body, NOW, 'another-secret-another-secret'), body, /does not match/);
    // The timestamp is signed too: moving it breaks the signature.
    await refused({ ...good, 'x-custodian-timestamp': String(NOW + 1) }, body, /does not match/);
  });

  it('a stored event verified again (reprocess) needs its signature, not its age', async () => {
    const old = custodian.sign(body, NOW - 3600);
    assert.ok(await rail().verifyWebhook(body, old, { replay: true }));
    await assert.rejects(rail().verifyWebhook(body.replace('"10"', '"1000"'), old, { replay: true }), /does not match/);
  });

  it('a signed body that is not an event is a payload error; an unknown type is not supported', async () => {
    const bad = async (raw: string) =>
      assert.rejects(rail().verifyWebhook(raw, custodian.sign(raw)), WebhookPayloadError);
    await bad('not json');
    await bad('[1]');
    await bad(JSON.stringify({ type: 'deposit.updated', data: {} }));
    await bad(JSON.stringify({ id: 'e', type: 'deposit.updated', data: { id: 'd', reference: 'r' } }));
    await bad(
      JSON.stringify({
        id: 'e',
        type: 'deposit.updated',
        data: {
          id: 'd',
          reference: 'r',
          txHash: '0x',
          from: PAYER,
          amount: '1.5',
          confirmations: 1,
          status: 'pending',
        },
      }),
    );
    await bad(JSON.stringify({ id: 'e', type: 'transfer.updated', data: { id: 't', status: 'done' } }));
    const other = JSON.stringify({ id: 'evt_9', type: 'address.created', created: NOW, data: {} });
    assert.deepEqual((await rail().verifyWebhook(other, custodian.sign(other))).action, {
      kind: 'not_supported',
      eventId: 'evt_9',
      type: 'address.created',
    });
  });
});
