import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SqlEscrowStore } from '../src/adapters/db/escrowStore.js';
import { CommandHandler } from '../src/app/commandHandler.js';
import type { CommandEnvelope } from '../src/app/envelope.js';
import { newId } from '../src/app/ids.js';
import type { CommitRequest, EscrowStore } from '../src/app/ports/index.js';
import { DomainError } from '../src/domain/index.js';
import {
  engineKinds,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  freshDatabase,
  testEngine,
  type TestDb,
  type TestEngine,
} from './harness.js';

for (const kind of engineKinds()) {
  describe(`group commit on ${kind}`, () => {
    let testDb: TestDb;
    let t: TestEngine;
    before(async () => {
      testDb = await freshDatabase(kind, 20);
      t = await testEngine(kind, {}, { db: testDb.db, clock: new (await import('./harness.js')).FakeClock() });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
        await testDb.drop();
      }
    });

    it('one failing command in a batch is refused alone; its neighbours commit', async () => {
      // 40 creates at once: they queue behind the first commits and go in batches. Every fifth reuses one offer,
      // so those fail inside batches of valid creates (the batch is retried with a savepoint per command).
      const inputs = Array.from({ length: 40 }, (_, i) => escrowInput(i % 5 === 0 ? { offerId: 'shared-offer' } : {}));
      const results = await Promise.allSettled(inputs.map((input) => t.engine.service.create(actors.service, input)));
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(ok.length, 40 - 8 + 1, 'every create but the 7 extra users of the shared offer');
      assert.equal(refused.length, 7);
      for (const r of refused) {
        assert.ok(r.reason instanceof DomainError && r.reason.code === 'OFFER_ALREADY_IN_ESCROW', String(r.reason));
      }
      const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
      assert.equal(rows[0]!.n, 33);
    });

    it('a command whose text the database refuses fails alone; the other commands of its batch commit', async () => {
      // Past the command path's own check (which refuses such text first): the store is handed a command whose
      // audit payload holds a NUL or a lone surrogate, which jsonb cannot take, among 60 valid creates at once.
      const store = new SqlEscrowStore(t.db);
      const poison: Record<string, string> = { 'poison-nul': 'a\u0000b', 'poison-surrogate': 'x\ud800' };
      const poisoning: EscrowStore = {
        load: (escrowId, commandId) => store.load(escrowId, commandId),
        recordRejection: (env, rejection, at) => store.recordRejection(env, rejection, at),
        commit: (req: CommitRequest) => {
          const text = poison[(req.envelope.payload as { offerId?: string }).offerId ?? ''];
          if (!text) return store.commit(req);
          return store.commit({
            ...req,
            envelope: { ...req.envelope, payload: { ...req.envelope.payload, note: text } },
          });
        },
      };
      const handler = new CommandHandler({
        store: poisoning,
        clock: t.clock,
        policy: t.engine.config.policy,
        rails: t.engine.rails,
      });
      const creates = Array.from({ length: 60 }, (_, i) =>
        escrowInput(i === 17 ? { offerId: 'poison-nul' } : i === 41 ? { offerId: 'poison-surrogate' } : {}),
      );
      const envelope = (payload: CommandEnvelope['payload']): CommandEnvelope => ({
        commandId: newId(),
        type: 'CreateEscrow',
        escrowId: newId(),
        actor: actors.service,
        issuedAt: t.clock.now().toISOString(),
        correlationId: 'group-commit-poison',
        causationId: null,
        payload,
      });
      const before = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
      const results = await Promise.allSettled(creates.map((c) => handler.handle(envelope(c))));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, String(r.reason)] as const] : []));
      assert.deepEqual(
        failed.map(([i]) => i),
        [17, 41],
        `only the two poisoned commands fail (${failed.length} failed, first: ${failed[0]?.[1]})`,
      );
      const after = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows');
      assert.equal(after.rows[0]!.n - before.rows[0]!.n, 58);
    });
  });
}
