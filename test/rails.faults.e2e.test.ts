import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeChainalysis, FakeTrm } from './fakes/riskServers.js';
import { assertDatabaseVerifies } from './harness.js';
import { StripeDriver, UsdcDriver } from './rails/drivers.js';
import { ok, railServer, type RailServer } from './rails/railServer.js';

/**
 * Faults on the real rails (issue 11), against the providers' fakes over HTTP: provider 500s and timeouts during a
 * payout end SUCCEEDED (one transfer) or FAILED and visible; a webhook lost on purpose is recovered by the
 * reconciler and its late delivery moves nothing twice; a chargeback flags and disputes the escrow; on USDC a
 * sanctioned deposit is refunded to where it came from, a risky one is held flagged, and a screener outage holds the
 * deposit unfunded until it can be screened. Every flow ends with `escrow verify`.
 */

const MINUTE = 60_000;

void describe('STRIPE faults', () => {
  const driver = new StripeDriver();
  let r: RailServer;
  before(async () => {
    r = await railServer(driver);
  });
  after(() => r?.close());

  const transfersTo = (account: string) => [...driver.fake.transfers.values()].filter((x) => x.destination === account);

  void it('payout answered 500 twice: retried with the same idempotency key, SUCCEEDED, one transfer', async () => {
    const seller = r.newSeller();
    const { accountId } = await r.registerAccount(seller);
    const e = await r.released(seller);
    driver.fake.failNext(2, 500);
    await r.settle();
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    assert.equal(transfersTo(accountId).length, 1, 'money moved once');
    const keys = driver.fake.requests
      .filter((q) => q.method === 'POST' && q.path === '/v1/transfers')
      .map((q) => q.idempotencyKey);
    assert.ok(keys.length >= 2 && keys.every((k) => k === e.settlements[0]!.id), `one key: ${keys.join(' ')}`);
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('payout whose answer never comes (timeout after Stripe applied it): retried, replayed, one transfer', async () => {
    const seller = r.newSeller();
    const { accountId } = await r.registerAccount(seller);
    const e = await r.released(seller);
    driver.fake.hangNext(1);
    await r.settle();
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    assert.equal(transfersTo(accountId).length, 1);
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('payout refused for good (the connected account is gone): FAILED with the code, visible; a retry pays', async () => {
    const seller = r.newSeller();
    const { accountId } = await r.registerAccount(seller);
    const e = await r.released(seller);
    const account = driver.fake.accounts.get(accountId)!;
    driver.fake.accounts.delete(accountId);
    await r.settle();
    const failed = (await r.get(e.id)).settlements[0]!;
    assert.equal(failed.status, 'FAILED');
    assert.match(failed.failureReason ?? '', /request id|req_/i, failed.failureReason ?? '');
    driver.fake.accounts.set(accountId, account);
    ok(await r.s.call('POST', `/api/escrow/${e.id}/settlements/${failed.id}/retry`, { token: r.t.admin, body: {} }));
    await r.settle();
    assert.equal((await r.get(e.id)).settlements[0]?.status, 'SUCCEEDED');
    assert.equal(transfersTo(accountId).length, 1);
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('a payment webhook lost on purpose is recovered by the reconciler; the late delivery is a duplicate', async () => {
    const e = await r.create(r.newSeller());
    const url = driver.fake.webhookUrl;
    driver.fake.webhookUrl = undefined; // the provider's webhook never arrives
    await driver.fake.pay(e.payment.reference);
    driver.fake.webhookUrl = url;
    assert.equal((await r.get(e.id)).status, 'AWAIT_FUNDS');

    r.s.clock.advance(16 * MINUTE);
    const dry = await r.s.engine.reconciler.run({ dryRun: true });
    assert.ok(dry.mismatches.some((m) => m.kind === 'MISSED_PAYMENT' && m.escrowId === e.id && !m.applied));
    assert.equal((await r.get(e.id)).status, 'AWAIT_FUNDS', 'a dry run changes nothing');

    const report = await r.s.engine.reconciler.run();
    const found = report.mismatches.find((m) => m.escrowId === e.id);
    assert.equal(found?.kind, 'MISSED_PAYMENT');
    assert.equal(found?.applied, true);
    const funded = await r.get(e.id);
    assert.equal(funded.status, 'FUNDS_HELD');

    // Stripe retries the webhook later: the same payment, under its own event id, changes nothing.
    const pi = driver.fake.paymentIntents.get(e.payment.reference)!;
    assert.equal(await driver.fake.deliver(url!, driver.fake.event('payment_intent.succeeded', pi)), 200);
    const after = await r.get(e.id);
    assert.equal(after.fundedAmount, funded.fundedAmount);
    assert.deepEqual(after.settlements, []);
    assert.equal((await r.s.engine.reconciler.run()).mismatches.filter((m) => m.escrowId === e.id).length, 0);
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('a chargeback flags the escrow and puts the held money in dispute', async () => {
    const e = await r.funded(r.newSeller());
    await driver.fake.dispute(e.payment.reference, 'fraudulent');
    const after = await r.get(e.id);
    assert.equal(after.status, 'DISPUTED');
    assert.equal(after.flaggedForReview, true);
    // processed in the command's transaction, the event keeps the bytes that arrived and their signature header
    const { rows } = await r.s.engine.db.query<{ raw_body: string; headers: Record<string, string> }>(
      `SELECT raw_body, headers FROM webhook_events WHERE provider = 'stripe' AND event_type = 'payment.disputed'`,
    );
    assert.equal(rows.length, 1);
    assert.equal((JSON.parse(rows[0]!.raw_body) as { type: string }).type, 'charge.dispute.created');
    assert.match(rows[0]!.headers['stripe-signature'] ?? '', /^t=\d+,v1=/);
    await assertDatabaseVerifies(r.s.engine);
  });
});

void describe('USDC_BASE risk screening (Chainalysis, then TRM, over HTTP)', () => {
  const driver = new UsdcDriver();
  const chainalysis = new FakeChainalysis();
  const trm = new FakeTrm();
  let r: RailServer;
  before(async () => {
    await chainalysis.start();
    await trm.start();
    r = await railServer(driver, {
      RISK_SCREENER: 'chainalysis+trm',
      CHAINALYSIS_API_URL: chainalysis.url,
      CHAINALYSIS_API_KEY: chainalysis.apiKey,
      TRM_API_URL: trm.url,
      TRM_API_KEY: trm.apiKey,
      RISK_TIMEOUT_MS: '1000',
    });
  });
  after(async () => {
    await r?.close();
    await chainalysis.stop();
    await trm.stop();
  });
  const wallet = () => `0x${randomBytes(20).toString('hex')}`;

  void it('a sanctioned deposit is refunded to the address that paid, never held', async () => {
    const e = await r.create(r.newSeller());
    const payer = wallet();
    chainalysis.sanction(payer);
    driver.nextPayer = payer;
    const after = await r.pay(e);
    assert.equal(after.status, 'REFUNDED');
    assert.equal(after.refundedAmount, after.fundedAmount);
    await r.settle();
    const done = await r.get(e.id);
    assert.deepEqual(
      done.settlements.map((x) => [x.kind, x.status]),
      [['REFUND', 'SUCCEEDED']],
    );
    const back = driver.fake.transfers.filter((x) => x.destination === payer && x.status === 'confirmed');
    assert.deepEqual(
      back.map((x) => x.amount),
      [done.fundedAmount],
    );
    assert.equal(trm.callsFor(payer).length, 0, 'a sanctioned address is not scored');
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('a risky deposit (score 50-79) is held, flagged for an admin', async () => {
    const e = await r.create(r.newSeller());
    const payer = wallet();
    trm.risk(payer, { category: 'Mixer', level: 7 });
    driver.nextPayer = payer;
    const after = await r.pay(e);
    assert.equal(after.status, 'FUNDS_HELD');
    assert.equal(after.flaggedForReview, true);
    await assertDatabaseVerifies(r.s.engine);
  });

  void it('a screener outage holds the deposit unfunded and shows in /health; once it answers, reprocess funds it', async () => {
    const e = await r.create(r.newSeller());
    chainalysis.failNext(1, 503); // the one screening this deposit asks for
    driver.nextPayer = wallet();
    const held = await r.pay(e);
    assert.equal(held.status, 'AWAIT_FUNDS', 'never funded unscreened');
    const health = ok(
      await r.s.call<{ checks: Record<string, { status: string; detail?: string }> }>('GET', '/health'),
      200,
    );
    assert.equal(health.checks.risk_screening?.status, 'degraded', JSON.stringify(health.checks));
    assert.match(health.checks.risk_screening?.detail ?? '', /held/);
    const failed = await r.s.engine.stores.webhooks.unprocessed({ provider: 'custodian', limit: 10 });
    assert.ok(failed.some((w) => /SCREENING_UNAVAILABLE/.test(w.lastError ?? '')));

    const results = await r.s.engine.webhookProcessor.reprocess({ provider: 'custodian', limit: 10 }, false);
    assert.ok(
      results.some((x) => x.result.status === 'processed'),
      JSON.stringify(results),
    );
    assert.equal((await r.get(e.id)).status, 'FUNDS_HELD');
    await assertDatabaseVerifies(r.s.engine);
  });
});
