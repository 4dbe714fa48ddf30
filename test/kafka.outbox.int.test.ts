import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { EventPublisher, OutboxMessage } from '../src/app/ports/index.js';
import { OutboxPublisher } from '../src/workers/outboxPublisher.js';
import {
  actors,
  assertDatabaseVerifies,
  escrowInput,
  testEngine,
  type EngineKind,
  type TestEngine,
} from './harness.js';
import { kafkaEnv, readEventsTopic } from './kafkaHarness.js';
import { suite, type Service } from './services.js';

/**
 * The outbox's promises around a failure, in PGlite and PostgreSQL modes:
 * - per-escrow order survives a dead letter: the escrow's later events wait behind it (other escrows keep flowing)
 *   until an operator replays it (it goes out first, then the rest, in sequence) or skips it (audited: who and why);
 * - Kafka mode: once the broker acknowledged an event it is published, even if an in-process subscriber fails after
 *   it: the subscriber is retried on its own, the event is neither sent again nor dead-lettered.
 */

const KINDS: { kind: EngineKind; needs: Service[] }[] = [
  { kind: 'pglite', needs: [] },
  { kind: 'postgres', needs: ['postgres'] },
];

/** A publisher that refuses the events in `poison` and records, in order, what it was handed and accepted. */
class FlakyPublisher implements EventPublisher {
  readonly poison = new Set<string>();
  readonly published: OutboxMessage[] = [];
  publish(messages: readonly OutboxMessage[]): Promise<void> {
    const bad = messages.find((m) => this.poison.has(m.eventId));
    if (bad) return Promise.reject(new Error(`broker refused ${bad.eventType}`));
    this.published.push(...messages);
    return Promise.resolve();
  }
  sequences(escrowId: string): number[] {
    return this.published.filter((m) => m.escrowId === escrowId).map((m) => m.payload.sequence);
  }
}

const outboxRow = async (t: TestEngine, escrowId: string, sequence: number) => {
  const { rows } = await t.db.query<{ id: string; event_id: string; dead: boolean; published: boolean }>(
    `SELECT o.id::text AS id, o.event_id::text AS event_id, o.dead_lettered_at IS NOT NULL AS dead,
            o.published_at IS NOT NULL AS published
       FROM outbox o JOIN escrow_events e ON e.event_id = o.event_id
      WHERE o.escrow_id = $1 AND e.sequence = $2`,
    [escrowId, sequence],
  );
  return rows[0]!;
};

for (const { kind, needs } of KINDS) {
  suite(`outbox order behind a dead letter on ${kind}`, needs, () => {
    let t: TestEngine;
    let publisher: FlakyPublisher;
    let outbox: OutboxPublisher;
    const by = { actor: { id: 'ops-1', role: 'admin' }, reason: 'broker rejected the payload' };

    before(async () => {
      t = await testEngine(kind);
      publisher = new FlakyPublisher();
      outbox = new OutboxPublisher({
        store: t.engine.stores.outbox,
        publisher,
        owner: 'test',
        batchSize: 50,
        maxAttempts: 1, // the first failure dead-letters
      });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(t.engine);
      } finally {
        await t.close();
      }
    });

    /** An escrow whose EscrowCreated (sequence 1) the broker refuses; then cancelled (sequence 2). */
    async function blockedEscrow(): Promise<string> {
      const created = await t.engine.service.create(actors.buyer, escrowInput());
      const id = created.escrow.id;
      publisher.poison.add((await outboxRow(t, id, 1)).event_id);
      assert.equal(await outbox.runOnce(), 0);
      assert.equal((await outboxRow(t, id, 1)).dead, true, 'EscrowCreated is dead-lettered');
      await t.engine.service.execute('CancelEscrow', id, actors.buyer, { reason: 'changed my mind' });
      return id;
    }

    it('later events of the escrow wait behind its dead letter; other escrows flow; a replay sends it first', async () => {
      const id = await blockedEscrow();
      const other = (await t.engine.service.create(actors.buyer, escrowInput())).escrow.id;
      for (let i = 0; i < 3; i++) await outbox.runOnce();
      assert.deepEqual(publisher.sequences(other), [1], 'another escrow keeps flowing');
      assert.deepEqual(publisher.sequences(id), [], 'EscrowCancelled waits behind the dead EscrowCreated');
      assert.equal((await outboxRow(t, id, 2)).published, false);

      publisher.poison.clear();
      const dead = await outboxRow(t, id, 1);
      assert.deepEqual(await t.engine.operations.replayOutbox({ ids: [dead.id] }, by), { queued: 1 });
      while ((await outbox.runOnce()) > 0);
      assert.deepEqual(publisher.sequences(id), [1, 2], 'the replayed event first, then the one behind it');
      assert.equal((await t.engine.operations.outboxStatus()).unpublished, 0);
    });

    it('an operator skips the dead letter (audited: who and why); the events behind it go out, in sequence', async () => {
      const id = await blockedEscrow();
      for (let i = 0; i < 2; i++) await outbox.runOnce();
      assert.deepEqual(publisher.sequences(id), []);
      const dead = await outboxRow(t, id, 1);
      const skipped = await t.engine.operations.skipOutbox(dead.id, by);
      assert.deepEqual(skipped, { skipped: true, escrowId: id, eventId: dead.event_id });
      assert.deepEqual(await t.engine.operations.skipOutbox(dead.id, by), { skipped: false }, 'only a dead letter');
      while ((await outbox.runOnce()) > 0);
      assert.deepEqual(publisher.sequences(id), [2], 'the skipped event never goes out; the next one does');
      const status = await t.engine.operations.outboxStatus();
      assert.equal(status.unpublished, 0);
      assert.equal(status.deadLetters, 0, 'a skipped event is no longer a dead letter');
      assert.deepEqual(
        (await t.engine.operations.deadLetters(100)).filter((d) => d.escrowId === id),
        [],
      );
      const { rows } = await t.db.query<{ actor_id: string; details: { reason: string; id: string } }>(
        `SELECT actor_id, details FROM audit_logs WHERE action = 'outbox.skip' AND details->>'escrowId' = $1`,
        [id],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor_id, 'ops-1');
      assert.equal(rows[0]!.details.reason, 'broker rejected the payload');
      assert.equal(rows[0]!.details.id, dead.id);
    });
  });

  suite(
    `Kafka mode: a failing in-process subscriber after the broker acknowledged, on ${kind}`,
    [...needs, 'kafka'],
    () => {
      let t: TestEngine;
      let kafka: TestEngine;
      let env: Record<string, string>;

      before(async () => {
        t = await testEngine(kind); // applies commands here; the Kafka-mode engine below only publishes
        env = await kafkaEnv('subscriber');
        kafka = await testEngine(kind, { ...env, OUTBOX_MAX_ATTEMPTS: '2' }, { db: t.db, clock: t.clock });
      });
      after(async () => {
        try {
          await assertDatabaseVerifies(t.engine);
        } finally {
          await kafka?.close();
          await t?.close();
        }
      });

      it('the event is published once, never again nor dead-lettered; the subscriber is retried on its own', async () => {
        const calls: string[] = [];
        let failures = 2;
        const unsubscribe = kafka.engine.bus.subscribe('flaky-reaction', (e) => {
          calls.push(e.eventId);
          if (failures-- > 0) throw new Error('reaction failed');
        });
        const id = (await t.engine.service.create(actors.buyer, escrowInput())).escrow.id;
        const row = await outboxRow(t, id, 1);
        try {
          assert.equal(await kafka.engine.outbox.runOnce(), 1, 'published at the first try');
          const after = await t.db.query<{ attempts: number; dead: boolean; published: boolean }>(
            `SELECT attempts, dead_lettered_at IS NOT NULL AS dead, published_at IS NOT NULL AS published
             FROM outbox WHERE id = $1`,
            [row.id],
          );
          assert.deepEqual(after.rows[0], { attempts: 0, dead: false, published: true });
          assert.deepEqual(calls, [row.event_id, row.event_id, row.event_id], 'two failures, then handled');
          assert.equal(await kafka.engine.outbox.runOnce(), 0, 'nothing to send again');

          // always failing: still published once, the failure logged, nothing dead-lettered
          failures = Number.POSITIVE_INFINITY;
          await t.engine.service.execute('CancelEscrow', id, actors.buyer, { reason: 'changed my mind' });
          assert.equal(await kafka.engine.outbox.runOnce(), 1);
          assert.equal((await kafka.engine.operations.outboxStatus()).deadLetters, 0);
          const onTopic = await readEventsTopic(env, 2);
          assert.deepEqual(
            onTopic.get(id)?.map((e) => e.sequence),
            [1, 2],
            'each event on the topic exactly once, in order',
          );
        } finally {
          unsubscribe();
        }
      });
    },
  );
}
