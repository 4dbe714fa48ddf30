import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../src/domain/index.js';
import {
  ENGINE_KINDS,
  RELEASED_LIFECYCLE,
  actors,
  assertDatabaseVerifies,
  deliveredEscrow,
  fundedEscrow,
  testEngine,
  type TestEngine,
} from './harness.js';
import { eventually, WebhookReceiver } from './webhookReceiver.js';

// Outgoing webhooks end to end (issue 14): the `webhooks` role of a real engine delivers to a real HTTP receiver.
// The retry schedule is shortened (WEBHOOKS_RETRY_SCHEDULE) so retries happen within a test; the rules are the same.

const service: Actor = { id: 'marketplace-backend', role: 'service' };
const FAST = {
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_RETRY_SCHEDULE: '0s,50ms,50ms,50ms,50ms',
  WEBHOOKS_POLL_INTERVAL_MS: '20',
};

async function released(t: TestEngine): Promise<string> {
  const id = await deliveredEscrow(t.engine);
  await t.engine.service.execute('ConfirmDelivery', id, actors.buyer, {});
  await t.engine.settlementWorker.runOnce();
  return id;
}

const messagesOf = async (t: TestEngine, endpointId: string) =>
  (await t.engine.webhookEndpoints.deliveries({ endpointId, limit: 200 })).data;

for (const kind of ENGINE_KINDS) {
  describe(`outgoing webhooks (${kind})`, () => {
    let t: TestEngine;
    let receiver: WebhookReceiver;
    before(async () => {
      t = await testEngine(kind, FAST);
      await t.engine.start(['webhooks']);
    });
    const receivers: WebhookReceiver[] = [];
    after(async () => {
      for (const r of receivers) await r.stop();
      await t.close();
    });

    const register = async (over: Record<string, unknown> = {}) => {
      receiver = await new WebhookReceiver().start();
      receivers.push(receiver);
      const made = await t.engine.webhookEndpoints.create(service, { url: receiver.url, description: 'test', ...over });
      assert.match(made.secret!, /^whsec_[A-Za-z0-9+/]{43}=$/);
      return { id: made.endpoint.id, secret: made.secret! };
    };
    const done = async (endpointId: string) => {
      await t.engine.webhookEndpoints.update(service, endpointId, { enabled: false, reason: 'test over' });
      await receiver.stop();
    };

    it("a lifecycle's events arrive once each, in order, signed and verifiable with standardwebhooks", async () => {
      const { id: endpointId, secret } = await register();
      const escrowId = await released(t);
      await eventually(() => receiver.deduplicated().length >= RELEASED_LIFECYCLE.length, 'the lifecycle delivered');
      receiver.verifyAll(secret);
      const got = receiver.deduplicated().filter((d) => d.event.escrowId === escrowId);
      assert.deepEqual(
        got.map((d) => d.event.type),
        RELEASED_LIFECYCLE,
      );
      assert.deepEqual(
        got.map((d) => d.event.sequence),
        [1, 2, 3, 4, 5, 6],
      );
      for (const d of got) assert.equal(d.id, d.event.eventId, 'webhook-id is the event id');
      assert.equal(receiver.requests.length, RELEASED_LIFECYCLE.length, 'nothing sent twice');
      const r = receiver.requests[0]!;
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['webhook-timestamp']), /^\d{10}$/);
      await eventually(async () => (await messagesOf(t, endpointId)).every((m) => m.status === 'DELIVERED'), 'logged');
      const log = await messagesOf(t, endpointId);
      assert.equal(log.length, RELEASED_LIFECYCLE.length);
      assert.ok(log.every((m) => m.attempts === 1 && m.attemptLog.length === 1 && m.deliveredAt !== null));
      assert.equal(log[0]!.attemptLog[0]!.status, 200);
      await done(endpointId);
      await assertDatabaseVerifies(t.engine);
    });

    it('a receiver failing with 500 twice then 200 gets each message delivered once; every attempt is logged', async () => {
      const { id: endpointId } = await register({ eventTypes: ['EscrowCreated', 'EscrowFundsHeld'] });
      receiver.answer = (_r, earlier) => (earlier < 2 ? { status: 500, body: 'database is down' } : 200);
      const escrowId = await fundedEscrow(t.engine);
      await eventually(() => receiver.delivered().length >= 2, 'two events delivered after retries');
      await eventually(async () => (await messagesOf(t, endpointId)).every((m) => m.status === 'DELIVERED'), 'logged');
      assert.equal(receiver.requests.length, 6, 'three attempts per event');
      assert.equal(receiver.delivered().length, 2, 'each delivered once');
      const log = await messagesOf(t, endpointId);
      assert.deepEqual(log.map((m) => m.eventType).sort(), ['EscrowCreated', 'EscrowFundsHeld']);
      for (const m of log) {
        assert.equal(m.escrowId, escrowId);
        assert.deepEqual(
          m.attemptLog.map((a) => [a.attempt, a.status, a.outcome]),
          [
            [3, 200, 'DELIVERED'],
            [2, 500, 'RETRYING'],
            [1, 500, 'RETRYING'],
          ],
        );
        assert.equal(m.attemptLog[2]!.responseExcerpt, 'database is down');
        assert.ok(m.attemptLog.every((a) => Number.isInteger(a.latencyMs) && a.latencyMs >= 0));
      }
      // per escrow order: EscrowFundsHeld was not attempted before EscrowCreated was delivered
      const firstFunded = receiver.requests.findIndex(
        (r) => (JSON.parse(r.body) as { type: string }).type === 'EscrowFundsHeld',
      );
      const createdOk = receiver.requests.findIndex((r) => r.answered === 200);
      assert.ok(createdOk < firstFunded, 'the later event waited for the earlier one');
      await done(endpointId);
      await assertDatabaseVerifies(t.engine);
    });

    it('410 Gone disables the endpoint (audited), and a disabled endpoint gets no new messages', async () => {
      const { id: endpointId } = await register({ eventTypes: ['EscrowCreated'] });
      receiver.answer = () => 410;
      await fundedEscrow(t.engine);
      await eventually(async () => !(await t.engine.webhookEndpoints.get(endpointId)).enabled, 'the endpoint disabled');
      const endpoint = await t.engine.webhookEndpoints.get(endpointId);
      assert.match(endpoint.disabledReason!, /410 Gone/);
      const [m] = await messagesOf(t, endpointId);
      assert.equal(m!.status, 'FAILED');
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_logs WHERE action = 'WEBHOOK_ENDPOINT_DISABLED' AND details->>'endpointId' = $1`,
        [endpointId],
      );
      assert.equal(rows[0]!.n, 1);
      await fundedEscrow(t.engine);
      await t.engine.webhookDispatcher.runOnce();
      assert.equal((await messagesOf(t, endpointId)).length, 1, 'nothing fanned out to a disabled endpoint');
      assert.equal(receiver.requests.length, 1);
      // enabled again, it gets what it missed while disabled (the second escrow's EscrowCreated), then what follows
      receiver.answer = () => 200;
      await t.engine.webhookEndpoints.update(service, endpointId, { enabled: true, reason: 'receiver is back' });
      await fundedEscrow(t.engine);
      await eventually(() => receiver.delivered().length === 2, 'the missed event and the new one');
      const types = receiver.delivered().map((r) => (JSON.parse(r.body) as { escrowId: string }).escrowId);
      assert.equal(new Set(types).size, 2, 'one of each escrow: nothing from before it was disabled');
      await receiver.stop();
    });

    it('a receiver down for a while gets everything, in order per escrow, once it is back', async () => {
      const { id: endpointId } = await register();
      const port = receiver.port;
      await receiver.stop();
      await t.engine.webhookEndpoints.update(service, endpointId, { enabled: true });
      const escrows = await Promise.all([released(t), released(t), released(t)]);
      await eventually(
        async () => (await messagesOf(t, endpointId)).some((m) => m.attempts >= 2),
        'retries while down',
      );
      const down = await messagesOf(t, endpointId);
      assert.ok(
        down.some((m) => m.attemptLog[0]?.error?.includes('ECONNREFUSED')),
        'attempts failed on the refused port',
      );
      await receiver.start(port);
      const total = escrows.length * RELEASED_LIFECYCLE.length;
      await eventually(() => receiver.deduplicated().length >= total, 'everything delivered', 30_000);
      for (const escrowId of escrows) {
        const seqs = receiver
          .deduplicated()
          .filter((d) => d.event.escrowId === escrowId)
          .map((d) => d.event.sequence);
        assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6], `escrow ${escrowId} in order`);
      }
      await done(endpointId);
      await assertDatabaseVerifies(t.engine);
    });

    it('recover resends a window: failed messages, and with includeDelivered the delivered ones too', async () => {
      const { id: endpointId } = await register({ eventTypes: ['EscrowCreated', 'EscrowFundsHeld'] });
      receiver.answer = () => 400; // not retried: failed at once
      t.clock.advance(3_600_000); // the window holds this test's events only
      const since = new Date(t.clock.now().getTime() - 1000).toISOString();
      const escrowId = await fundedEscrow(t.engine);
      await eventually(
        async () => (await messagesOf(t, endpointId)).filter((m) => m.status === 'FAILED').length === 2,
        'failed',
      );
      receiver.answer = () => 200;
      const until = new Date(t.clock.now().getTime() + 1000).toISOString();
      const dry = await t.engine.webhookEndpoints.recover(service, endpointId, {
        since,
        until,
        dryRun: true,
        reason: 'fixed',
      });
      assert.equal(dry.queued, 2);
      assert.equal(
        (await messagesOf(t, endpointId)).filter((m) => m.status === 'FAILED').length,
        2,
        'a dry run changes nothing',
      );
      const done1 = await t.engine.webhookEndpoints.recover(service, endpointId, {
        since,
        until,
        reason: 'receiver fixed',
      });
      assert.equal(done1.queued, 2);
      await eventually(() => receiver.delivered().length === 2, 'recovered');
      const recorded = async () => (await messagesOf(t, endpointId)).every((m) => m.status === 'DELIVERED');
      await eventually(recorded, 'the recovered deliveries recorded');
      assert.deepEqual(
        receiver.deduplicated().map((d) => d.event.escrowId),
        [escrowId, escrowId],
      );
      const again = await t.engine.webhookEndpoints.recover(service, endpointId, {
        since,
        until,
        includeDelivered: true,
      });
      assert.equal(again.queued, 2);
      await eventually(() => receiver.delivered().length === 4, 'resent again with includeDelivered');
      await eventually(recorded, 'the resent deliveries recorded');
      const [latest] = await messagesOf(t, endpointId);
      assert.deepEqual(
        latest!.attemptLog.map((a) => a.status),
        [200, 200, 400],
        'the attempt log keeps every round',
      );
      const { rows } = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_logs WHERE action = 'WEBHOOK_MESSAGES_RECOVERED' AND details->>'endpointId' = $1`,
        [endpointId],
      );
      assert.equal(rows[0]!.n, 2, 'each recover audited (the dry run not)');
      await done(endpointId);
      await assertDatabaseVerifies(t.engine);
    });

    it('a rotated secret signs alongside the new one until the overlap ends', async () => {
      const { id: endpointId, secret: old } = await register({ eventTypes: ['EscrowCreated'] });
      const rotated = await t.engine.webhookEndpoints.rotateSecret(service, endpointId, { overlapHours: 1 });
      assert.notEqual(rotated.secret, old);
      assert.equal(rotated.endpoint.secrets.length, 2);
      await fundedEscrow(t.engine);
      await eventually(() => receiver.delivered().length === 1, 'delivered');
      assert.equal(String(receiver.requests[0]!.headers['webhook-signature']).split(' ').length, 2);
      receiver.verifyAll(old);
      receiver.verifyAll(rotated.secret!);
      await done(endpointId);
      await assertDatabaseVerifies(t.engine);
    });
  });
}
