import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Counter } from 'prom-client';
import { ReportService, type DisputesReport, type FeesReport, type OffendersReport } from '../src/app/reports.js';
import type { VolumeReport } from '../src/app/reports.js';
import {
  actors,
  assertDatabaseVerifies,
  deliveredEscrow,
  engineKinds,
  escrowInput,
  fundedEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';

// The business reports and counters on real escrows driven through the service, with the fake clock: an escrow
// disputed 8 days ago, then today 3 disputed escrows of one seller (one refunded by ruling), one released, one
// refunded by an admin and one EUR escrow never paid. Every figure is asserted exactly; fees against the ledger.

/** Fees on the SANDBOX rail (none by default): 1 % from the buyer, 2.5 % from the seller. */
const FEES = '{"SANDBOX":{"buyer":{"bps":100,"fixed":0},"seller":{"bps":250,"fixed":0}}}';

const value = async (c: Counter<string>, currency = 'USD') =>
  (await c.get()).values.find((v) => v.labels.currency === currency)?.value ?? 0;

for (const kind of engineKinds()) {
  describe(`business reports and counters on ${kind}`, () => {
    let t: TestEngine;
    let reports: ReportService;
    const funded = { today: 0n };
    before(async () => {
      t = await testEngine(kind, { ESCROW_FEES: FEES });
      reports = new ReportService({ queries: t.engine.stores.reports, clock: t.clock });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    it('counts each lifecycle step exactly once, after commit; a redelivered webhook counts nothing', async () => {
      const { engine } = t;
      const b = engine.metrics.business;
      const created = await engine.service.create(actors.buyer, escrowInput({ sellerId: 'seller-bad' }));
      assert.equal(await value(b.created), 1);
      assert.equal(await value(b.funded), 0);
      const paid = await engine.simulator.pay(created.escrow.id);
      const held = (await engine.readModel.getEscrow(created.escrow.id))!;
      assert.equal(await value(b.funded), 1);
      assert.equal(await value(b.volume), Number(held.fundedAmount));
      assert.equal((await engine.webhooks.receive('sandbox', paid.rawBody, paid.headers)).status, 'duplicate');
      assert.equal(await value(b.funded), 1, 'a duplicate commits nothing and counts nothing');
      await engine.service.execute('OpenDispute', created.escrow.id, actors.buyer, { reason: 'not delivered' });
      assert.equal(await value(b.disputed), 1);
      assert.equal(await value(b.released), 0);
      t.clock.advanceDays(8); // this one is out of the 7-day windows from now on
    });

    it('releases and refunds count once each and book their fee as the ledger does', async () => {
      const { engine } = t;
      const b = engine.metrics.business;
      const before = { fees: await value(b.fees), released: await value(b.released), volume: await value(b.volume) };
      const released = await deliveredEscrow(engine);
      const { escrow } = await engine.service.execute('ConfirmDelivery', released, actors.buyer, {});
      assert.equal(escrow.status, 'RELEASED');
      assert.equal(await value(b.released), before.released + 1);
      assert.equal(await value(b.fees), before.fees + Number(escrow.feeAmount));
      const refunded = await fundedEscrow(engine);
      const r = await engine.service.execute('RefundEscrow', refunded, actors.admin, { reason: 'seller out of stock' });
      assert.equal(r.escrow.status, 'REFUNDED');
      assert.equal(await value(b.refunded), 1);
      assert.equal(await value(b.fees), before.fees + Number(escrow.feeAmount + r.escrow.feeAmount));
      funded.today += escrow.fundedAmount + r.escrow.fundedAmount;
      assert.equal(await value(b.volume), before.volume + Number(funded.today));
    });

    it('drives today: three disputes against seller-bad (one ruled a refund), and an unpaid EUR escrow', async () => {
      const { engine } = t;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = await fundedEscrow(engine, { sellerId: 'seller-bad' });
        funded.today += (await engine.readModel.getEscrow(id))!.fundedAmount;
        const d = await engine.service.execute('OpenDispute', id, actors.buyer, { reason: 'not delivered' });
        ids.push(d.escrow.disputes[0]!.id);
        if (i === 0) {
          await engine.service.execute('ResolveDispute', id, actors.admin, {
            disputeId: d.escrow.disputes[0]!.id,
            resolution: 'REFUND',
            reason: 'no proof of delivery',
          });
        }
      }
      await engine.service.create(actors.buyer, escrowInput({ currency: 'EUR', amount: '500' }));
      t.clock.advance(60_000);
      assert.equal(ids.length, 3);
    });

    it('volume: per currency and day, exactly', async () => {
      const r: VolumeReport = await reports.volume({ since: '7d' });
      assert.equal(r.by, 'day');
      assert.deepEqual(r.totals, [
        {
          currency: 'EUR',
          ...{ created: 1, funded: 0, released: 0, refunded: 0, disputed: 0 },
          ...{ fundedAmount: '0', releasedAmount: '0', refundedAmount: '0' },
        },
        {
          currency: 'USD',
          ...{ created: 5, funded: 5, released: 1, refunded: 2, disputed: 3 },
          fundedAmount: funded.today.toString(),
          releasedAmount: await sum(
            t,
            `sum((data->>'sellerAmount')::bigint) FROM escrow_events WHERE type = 'EscrowReleased'`,
          ),
          refundedAmount: await sum(
            t,
            `sum((data->>'buyerAmount')::bigint) FROM escrow_events WHERE type = 'EscrowRefunded'`,
          ),
        },
      ]);
      assert.deepEqual(
        r.periods.map((p) => [p.period, p.currency, p.created]),
        [
          ['2026-01-13T00:00:00Z', 'EUR', 1],
          ['2026-01-13T00:00:00Z', 'USD', 5],
        ],
      );
      const all = await reports.volume({ since: '30d', currency: 'USD', by: 'hour' });
      assert.equal(all.totals[0]!.created, 6, 'the escrow of 8 days ago is in the 30-day window');
      assert.deepEqual(
        all.periods.map((p) => p.period),
        ['2026-01-05T10:00:00Z', '2026-01-13T10:00:00Z'],
      );
    });

    it("fees: the ledger's platform:fee_revenue postings, to the minor unit", async () => {
      const r: FeesReport = await reports.fees({ since: '7d' });
      const ledger = await sum(t, `sum(amount) FROM ledger_postings WHERE account_id = 'platform:fee_revenue'`);
      const postings = await sum(t, `count(*) FROM ledger_postings WHERE account_id = 'platform:fee_revenue'`);
      const booked = await sum(t, `sum(fee_amount) FROM escrows WHERE status IN ('RELEASED', 'REFUNDED')`);
      assert.equal(ledger, booked, 'the ledger and the escrows agree');
      assert.ok(BigInt(ledger) > 0n, `fees were booked (${ledger})`);
      assert.deepEqual(r.totals, [{ currency: 'USD', fees: ledger, postings: Number(postings) }]);
      assert.equal(r.account, 'platform:fee_revenue');
      assert.equal(String(await value(t.engine.metrics.business.fees)), ledger, 'the counter says the same');
    });

    it('disputes: the rate over the window, by reason and outcome', async () => {
      const r: DisputesReport = await reports.disputes({});
      assert.deepEqual(r.totals, [{ currency: 'USD', funded: 5, opened: 3, ratePercent: '60.00' }]);
      const eur = await reports.disputes({ currency: 'EUR' });
      assert.deepEqual([eur.totals, eur.byReason], [[], []], 'nothing funded or disputed in EUR');
      assert.deepEqual(r.byReason, [{ reason: 'not delivered', count: 3 }]);
      assert.deepEqual(r.byOutcome, [
        { outcome: 'OPEN', count: 2 },
        { outcome: 'REFUND', count: 1 },
      ]);
    });

    it('offenders: parties to 3 or more disputes in 7 days, each with its blacklist command', async () => {
      const r: OffendersReport = await reports.offenders({});
      assert.equal(r.min, 3);
      assert.deepEqual(
        r.offenders.map(({ role, userId, disputes, escrows, command }) => ({
          role,
          userId,
          disputes,
          escrows,
          command,
        })),
        [
          {
            ...{ role: 'SELLER', userId: 'seller-bad', disputes: 3, escrows: 3 },
            command:
              "escrow blacklist add --kind USER --value seller-bad --reason 'RB-04: 3 disputes as seller in 7 days'",
          },
          {
            ...{ role: 'BUYER', userId: 'buyer-1', disputes: 3, escrows: 3 },
            command: "escrow blacklist add --kind USER --value buyer-1 --reason 'RB-04: 3 disputes as buyer in 7 days'",
          },
        ],
      );
      const month = await reports.offenders({ since: '30d', min: '4' });
      assert.deepEqual(
        month.offenders.map((o) => [o.role, o.userId, o.disputes]),
        [
          ['SELLER', 'seller-bad', 4],
          ['BUYER', 'buyer-1', 4],
        ],
      );
      assert.deepEqual((await reports.offenders({ min: 5 })).offenders, []);
    });

    it('db_errors_total counts a failed statement, and a failed transaction once, by kind', async () => {
      const errors = async () =>
        (await t.engine.metrics.dbErrors.get()).values.find((v) => v.labels.kind === 'other')?.value ?? 0;
      const before = await errors();
      await assert.rejects(t.engine.db.query('SELECT 1 / 0'), /division by zero/);
      await assert.rejects(t.engine.db.transaction((tx) => tx.query('SELECT 1 / 0')));
      assert.equal(await errors(), before + 2);
    });

    it('refuses bad input with the field named, reading nothing', async () => {
      for (const [request, field] of [
        [{ since: 'yesterday' }, 'since'],
        [{ since: '2999-01-01T00:00:00Z' }, 'since'],
        [{ since: '400d' }, 'since'],
        [{ currency: 'usd' }, 'currency'],
        [{ by: 'week' }, 'by'],
      ] as const) {
        await assert.rejects(reports.volume(request), (err: Error & { details?: { field?: string } }) => {
          assert.match(JSON.stringify(err), new RegExp(field));
          return true;
        });
      }
      await assert.rejects(reports.offenders({ min: '0' }), /min/);
    });
  });
}

async function sum(t: TestEngine, select: string): Promise<string> {
  const { rows } = await t.db.query<{ s: string | null }>(`SELECT (${select.replace(/ FROM /, ')::text AS s FROM ')}`);
  return rows[0]?.s ?? '0';
}
