import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RailError } from '../../../app/ports/index.js';
import { custodian, fundedEscrow, lastAction, order, PAYER, rail, SELLER, useFakeCustodian } from './usdcRail.kit.js';
import { usdcBase } from './index.js';

useFakeCustodian();

describe('USDC_BASE: payouts and refunds', () => {
  it('a payout is submitted once, then succeeds; repeats never move money twice', async () => {
    const r = rail();
    const o = order();
    const first = await r.executeSettlement(o);
    assert.equal(first.status, 'SUBMITTED');
    const [req] = custodian.calls('POST', '/v1/transfers').slice(-1);
    assert.equal(req?.headers['idempotency-key'], o.idempotencyKey);
    assert.deepEqual(req?.body, {
      reference: o.settlementId,
      destination: SELLER,
      amount: '995000',
      asset: 'USDC',
      network: 'base',
    });
    assert.deepEqual(await r.lookupSettlement(o), {
      status: 'pending',
      detail: `transfer ${first.status === 'SUBMITTED' ? first.providerReference : ''} submitted`,
    });
    const t = await custodian.completeTransfer(o.settlementId, 'confirmed');
    assert.deepEqual(lastAction(), {
      kind: 'settlement.succeeded',
      eventId: `transfer:${t.id}:confirmed`,
      settlementId: o.settlementId,
      providerReference: t.txHash,
    });
    assert.deepEqual(await r.executeSettlement({ ...o, attempt: 2 }), {
      status: 'SUCCEEDED',
      providerReference: t.txHash,
    });
    assert.deepEqual(await r.executeSettlement({ ...o, attempt: 3 }), {
      status: 'SUCCEEDED',
      providerReference: t.txHash,
    });
    assert.equal(custodian.transfers.filter((x) => x.reference === o.settlementId).length, 1);
    // only an admin retry of a FAILED settlement starts a new round, under a key (and reference) of its own
    const retried = await r.executeSettlement({ ...o, attempt: 4, idempotencyKey: `${o.settlementId}-r1` });
    assert.equal(retried.status, 'SUBMITTED');
    assert.equal(custodian.transfers.filter((x) => x.reference === `${o.settlementId}-r1`).length, 1);
    assert.deepEqual(await r.lookupSettlement(o), { status: 'succeeded', providerReference: t.txHash });
  });

  it('a failed transfer → FAILED, not retryable; settlement.failed by webhook', async () => {
    const o = order();
    await rail().executeSettlement(o);
    const t = await custodian.completeTransfer(o.settlementId, 'failed', 'execution reverted');
    assert.deepEqual(lastAction(), {
      kind: 'settlement.failed',
      eventId: `transfer:${t.id}:failed`,
      settlementId: o.settlementId,
      reason: 'execution reverted',
      settlementKey: o.idempotencyKey,
    });
    const out = await rail().executeSettlement(o);
    assert.equal(out.status, 'FAILED');
    assert.equal(out.status === 'FAILED' && out.retryable, false);
    assert.match(out.status === 'FAILED' ? out.reason : '', /execution reverted/);
    assert.deepEqual(await rail().lookupSettlement(o), {
      status: 'failed',
      reason: `custodian: transfer ${t.id} failed: execution reverted`,
    });
    const unknown = order();
    assert.deepEqual(await rail().lookupSettlement(unknown), {
      status: 'none',
      detail: `no transfer for reference ${unknown.settlementId}`,
    });
  });

  it('an auto-completing custodian answers SUCCEEDED at once', async () => {
    custodian.autoComplete = true;
    const out = await rail().executeSettlement(order());
    assert.equal(out.status, 'SUCCEEDED');
    assert.match(out.status === 'SUCCEEDED' ? out.providerReference : '', /^0x[0-9a-f]{64}$/);
  });

  it('outages: a 500 then success; exhausted retries → FAILED retryable; a 422 refusal → FAILED not retryable', async () => {
    custodian.failNext(1, 503);
    assert.equal((await rail().executeSettlement(order())).status, 'SUBMITTED');
    custodian.failNext(3, 500);
    const down = await rail().executeSettlement(order());
    assert.equal(down.status === 'FAILED' && down.retryable, true);
    const before = custodian.requests.length;
    custodian.available = 0n;
    const poor = await rail().executeSettlement(order());
    assert.equal(poor.status === 'FAILED' && poor.retryable, false);
    assert.match(poor.status === 'FAILED' ? poor.reason : '', /insufficient_funds.*request id/);
    assert.equal(custodian.requests.length - before, 1, 'a 4xx is not retried');
  });

  it('a payout without a usable destination fails for good without calling the custodian', async () => {
    const before = custodian.requests.length;
    for (const destination of [null, 'not-an-address']) {
      const out = await rail().executeSettlement(order({ destination }));
      assert.equal(out.status === 'FAILED' && out.retryable, false);
    }
    assert.equal((await rail().executeSettlement(order({ currency: 'USD' }))).status, 'FAILED');
    assert.equal(custodian.requests.length, before);
  });

  it('a refund goes back to the address that paid, partial allowed', async () => {
    const f = await fundedEscrow('1000000');
    const o = order({
      kind: 'REFUND',
      destination: null,
      amount: 400_000n,
      paymentReference: f.reference,
      fundingTransactionId: f.txHash,
      escrowId: f.escrowId,
    });
    assert.equal((await f.rail.executeSettlement(o)).status, 'SUBMITTED');
    const [req] = custodian.calls('POST', '/v1/transfers').slice(-1);
    assert.deepEqual(req?.body, {
      reference: o.settlementId,
      destination: PAYER.toLowerCase(),
      amount: '400000',
      asset: 'USDC',
      network: 'base',
    });
    assert.deepEqual(custodian.calls('GET', '/v1/deposits').at(-1)?.query, { reference: f.reference });
  });

  it('a refund whose deposit cannot be found fails for good with a clear reason, moving nothing', async () => {
    const f = await fundedEscrow('1000000');
    const transfers = custodian.transfers.length;
    const unknown = await f.rail.executeSettlement(
      order({ kind: 'REFUND', destination: null, paymentReference: f.reference, fundingTransactionId: '0xdeadbeef' }),
    );
    assert.equal(unknown.status === 'FAILED' && unknown.retryable, false);
    assert.match(unknown.status === 'FAILED' ? unknown.reason : '', /no deposit 0xdeadbeef/);
    const none = await f.rail.executeSettlement(
      order({ kind: 'REFUND', destination: null, paymentReference: f.reference, fundingTransactionId: null }),
    );
    assert.match(none.status === 'FAILED' ? none.reason : '', /funding deposit/);
    assert.equal(custodian.transfers.length, transfers);
  });
});

describe('USDC_BASE: payout accounts and balance', () => {
  it('accepts lower/upper case (normalised), refuses malformed, mixed-case and zero addresses, asks the custodian', async () => {
    const r = rail();
    assert.deepEqual(await r.validatePayoutAccount({ sellerId: 's', accountId: SELLER }), {
      ok: true,
      accountId: SELLER,
      detail: 'USDC on Base; validated by the custodian',
    });
    const upper = `0x${'ABCDEF0123'.repeat(4)}`;
    assert.deepEqual(await r.validatePayoutAccount({ sellerId: 's', accountId: upper }), {
      ok: true,
      accountId: upper.toLowerCase(),
      detail: 'USDC on Base; validated by the custodian',
    });
    assert.deepEqual(custodian.calls('POST', '/v1/addresses/validate').at(-1)?.body, {
      address: upper.toLowerCase(),
      asset: 'USDC',
      network: 'base',
    });
    const before = custodian.requests.length;
    for (const accountId of ['0x123', 'acct_1', PAYER, `0x${'0'.repeat(40)}`]) {
      const out = await r.validatePayoutAccount({ sellerId: 's', accountId });
      assert.equal(out.ok, false, accountId);
    }
    const mixed = await r.validatePayoutAccount({ sellerId: 's', accountId: PAYER });
    assert.match(mixed.ok ? '' : mixed.reason, /EIP-55/);
    assert.equal(custodian.requests.length, before, 'refused locally');
    const blocked = `0x${'2'.repeat(40)}`;
    custodian.refusedAddresses.set(blocked, 'a contract that cannot receive USDC');
    assert.deepEqual(await r.validatePayoutAccount({ sellerId: 's', accountId: blocked }), {
      ok: false,
      reason: `custodian refuses ${blocked}: a contract that cannot receive USDC`,
    });
    custodian.failNext(3);
    await assert.rejects(r.validatePayoutAccount({ sellerId: 's', accountId: `0x${'3'.repeat(40)}` }), RailError);
  });

  it('platformBalance reports available and pending USDC', async () => {
    custodian.available = 7_000_000n;
    const pending = custodian.pendingBalance;
    assert.deepEqual(await rail().platformBalance(), [
      { currency: 'USDC', available: '7000000', pending: pending.toString() },
    ]);
    assert.deepEqual(
      custodian.calls('GET', '/v1/balances').at(-1)?.headers.authorization,
      'Bearer custodian-test-api-key',
    );
  });

  it('is the USDC_BASE plug-in of provider custodian, needing payout accounts', () => {
    assert.equal(usdcBase.rail, 'USDC_BASE');
    assert.equal(usdcBase.provider, 'custodian');
    const created = usdcBase.create({
      apiUrl: custodian.url,
      apiKey: 'k'.repeat(16),
      webhookSecret: 's'.repeat(16),
      minConfirmations: 12,
      timeoutMs: 1000,
    });
    assert.equal(created.needsPayoutAccount, true);
    assert.equal(created.provider, 'custodian');
  });
});
