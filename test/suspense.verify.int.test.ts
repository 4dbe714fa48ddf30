import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { engineKinds, actors, assertDatabaseVerifies, escrowInput, testEngine, type TestEngine } from './harness.js';

// `escrow verify` checks the suspense account (issue 10 §5): its balance per currency is the open suspense items,
// never negative, and each item is resolved once. Rows are tampered with directly to prove each check fires.

for (const kind of engineKinds()) {
  describe(`escrow verify and the suspense account on ${kind}`, () => {
    let t: TestEngine;
    let escrowId: string;
    let suspenseId: string;
    before(async () => {
      t = await testEngine(kind);
      const c = await t.engine.service.create(actors.buyer, escrowInput({ amount: '2500' }));
      escrowId = c.escrow.id;
      await t.engine.simulator.pay(escrowId, { amount: '2400' });
      const [item] = (await t.engine.queries.suspense(actors.admin, { escrowId })).data;
      assert.ok(item);
      suspenseId = item.id;
      await t.engine.service.execute('RefundSuspense', escrowId, actors.admin, { suspenseId, reason: 'short' });
      await t.engine.settlementWorker.runOnce();
      await assertDatabaseVerifies(t.engine);
    });
    after(() => t.close());

    const problems = async () => (await t.engine.verify()).violations.map((v) => v.problem);

    it('reports suspense money that no open item accounts for', async () => {
      await t.db.query(
        `INSERT INTO ledger_postings (transaction_id, escrow_id, account_id, amount, currency, created_at)
         VALUES ($1, $2, 'platform:suspense', 700, 'USD', now()), ($1, $2, 'external:SANDBOX', -700, 'USD', now())`,
        [randomUUID(), escrowId],
      );
      const found = await problems();
      assert.ok(
        found.includes('suspense account holds 700 USD but the open suspense items add up to 0'),
        found.join('\n'),
      );
      assert.ok(found.some((p) => p === 'suspense holds 700 USD but the open suspense items add up to 0'));
    });

    it('reports a negative suspense balance', async () => {
      await t.db.query(
        `INSERT INTO ledger_postings (transaction_id, escrow_id, account_id, amount, currency, created_at)
         VALUES ($1, $2, 'platform:suspense', -900, 'USD', now()), ($1, $2, 'external:SANDBOX', 900, 'USD', now())`,
        [randomUUID(), escrowId],
      );
      assert.ok((await problems()).includes('suspense account is negative in USD (-200)'));
    });

    it('reports an item resolved twice', async () => {
      const { rows } = await t.db.query<{ data: unknown; v: number }>(
        `SELECT data, (SELECT version FROM escrows WHERE id = $1) AS v FROM escrow_events
          WHERE escrow_id = $1 AND type = 'SuspenseRefunded'`,
        [escrowId],
      );
      await t.db.query(
        `INSERT INTO escrow_events (event_id, escrow_id, sequence, type, data, actor, command_id, occurred_at)
         VALUES ($1, $2, $3, 'SuspenseRefunded', $4, '{"id":"ops-admin","role":"admin"}', $5, now())`,
        [randomUUID(), escrowId, rows[0]!.v + 1, JSON.stringify(rows[0]!.data), randomUUID()],
      );
      assert.ok((await problems()).includes(`suspense item ${suspenseId} was resolved 2 times`));
    });
  });
}
