import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../src/domain/index.js';
import { DomainError } from '../src/domain/index.js';
import {
  ENGINE_KINDS,
  FakeClock,
  assertDatabaseVerifies,
  fundedEscrow,
  freshDatabase,
  testEngine,
  type TestDb,
  type TestEngine,
} from './harness.js';
import { TEST_JWT_SECRET } from './httpHarness.js';
import { eventually, WebhookReceiver } from './webhookReceiver.js';

// Outgoing webhooks' safety (issue 14): private addresses refused at registration and, on the address actually
// resolved, at delivery; and the `webhooks` role killed mid-delivery loses nothing and duplicates only what was in
// flight (at least once: receivers deduplicate by webhook-id).

const service: Actor = { id: 'marketplace-backend', role: 'service' };

for (const kind of ENGINE_KINDS) {
  describe(`private addresses (${kind})`, () => {
    let permissive: TestEngine;
    let strict: TestEngine;
    before(async () => {
      permissive = await testEngine(kind, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
      // the same database, delivering with the production setting
      strict = await testEngine(
        kind,
        { WEBHOOKS_POLL_INTERVAL_MS: '20' },
        { db: permissive.db, clock: permissive.clock },
      );
      await strict.engine.start(['webhooks']);
    });
    after(async () => {
      await strict.engine.stop();
      await permissive.close();
    });

    it('registering a loopback, private or link-local URL, or plain http, is refused with the reason', async () => {
      const refused = async (url: string, why: RegExp) =>
        assert.rejects(
          strict.engine.webhookEndpoints.create(service, { url }),
          (err: unknown) => err instanceof DomainError && err.code === 'WEBHOOK_URL_REFUSED' && why.test(err.message),
          url,
        );
      await refused('https://127.0.0.1:8443/hooks', /127\.0\.0\.1.*loopback/);
      await refused('https://10.1.2.3/hooks', /10\.1\.2\.3.*private/);
      await refused('https://169.254.169.254/latest/meta-data', /169\.254\.169\.254.*link-local/);
      await refused('https://[::1]/x', /::1.*loopback/);
      await refused('https://localhost/x', /localhost.*(127\.0\.0\.1|::1).*loopback/);
      await refused('http://hooks.example.com/x', /must use https/);
      assert.equal((await strict.engine.webhookEndpoints.list()).data.length, 0, 'nothing stored');
    });

    it('an endpoint whose address is private when delivering is refused then, and the receiver sees nothing', async () => {
      const receiver = await new WebhookReceiver().start();
      // registered where private addresses were allowed; `localhost` resolves to loopback when the strict role sends
      const url = `https://localhost:${receiver.port}/hooks/escrow`;
      const made = await permissive.engine.webhookEndpoints.create(service, { url, eventTypes: ['EscrowCreated'] });
      await fundedEscrow(permissive.engine);
      const endpointId = made.endpoint.id;
      await eventually(
        async () => (await strict.engine.webhookEndpoints.deliveries({ endpointId })).data[0]?.status === 'FAILED',
        'the delivery refused',
      );
      const [m] = (await strict.engine.webhookEndpoints.deliveries({ endpointId })).data;
      assert.equal(m!.attemptLog.length, 1, 'a refused address is not retried');
      assert.match(m!.attemptLog[0]!.error!, /localhost.*(127\.0\.0\.1|::1).*loopback/);
      assert.equal(m!.attemptLog[0]!.status, null);
      assert.equal(receiver.requests.length, 0);
      await receiver.stop();
      await assertDatabaseVerifies(strict.engine);
    });
  });
}

const ROLE_CHILD = fileURLToPath(new URL('./roleChild.ts', import.meta.url));
const CHILD_ENV = {
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_RETRY_SCHEDULE: '0s,100ms,100ms,100ms,100ms,100ms',
  WEBHOOKS_POLL_INTERVAL_MS: '20',
  // the lease is twice the timeout and 5 s: a killed process's messages go again after 7 s
  WEBHOOKS_TIMEOUT_MS: '1000',
};

/** `escrow serve --roles webhooks` in a process of its own on the test's schema. */
async function webhooksProcess(testDb: TestDb, clockStart: string): Promise<ChildProcess> {
  const child = fork(ROLE_CHILD, ['webhooks'], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      DATABASE_SCHEMA: testDb.schema!,
      JWT_SECRET: TEST_JWT_SECRET,
      TEST_CLOCK_START: clockStart,
      ...CHILD_ENV,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean }) => m.ready && resolve());
    child.once('exit', (code, signal) => reject(new Error(`webhooks process exited (${code ?? signal})`)));
  });
  return child;
}

const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((r) => c.once('exit', () => r()));

describe(
  'the webhooks role SIGKILLed mid-delivery (postgres)',
  { skip: !process.env.TEST_DATABASE_URL && 'needs TEST_DATABASE_URL' },
  () => {
    it('loses nothing and sends again only what was in flight', async () => {
      const testDb = await freshDatabase('postgres');
      const t = await testEngine(
        'postgres',
        { WEBHOOKS_ALLOW_PRIVATE: 'true' },
        { db: testDb.db, clock: new FakeClock() },
      );
      const receiver = await new WebhookReceiver().start();
      const children: ChildProcess[] = [];
      try {
        await t.engine.webhookEndpoints.create(service, { url: receiver.url });
        let killedAt = -1;
        // the first request hangs: the process is killed while that delivery is in flight
        receiver.answer = () => (killedAt < 0 ? 'hang' : 200);
        const first = await webhooksProcess(testDb, t.clock.now().toISOString());
        children.push(first);
        const escrows = await Promise.all([fundedEscrow(t.engine), fundedEscrow(t.engine), fundedEscrow(t.engine)]);
        await eventually(() => receiver.requests.length > 0, 'a delivery in flight');
        first.kill('SIGKILL');
        await exited(first);
        killedAt = receiver.requests.length;
        const { rows: expected } = await t.db.query<{ event_id: string }>(
          'SELECT event_id::text AS event_id FROM escrow_events WHERE escrow_id = ANY ($1::uuid[])',
          [escrows],
        );
        children.push(await webhooksProcess(testDb, t.clock.now().toISOString()));
        await eventually(() => receiver.deduplicated().length >= expected.length, 'everything delivered', 30_000);
        const ids = new Set(receiver.deduplicated().map((d) => d.id));
        assert.deepEqual([...ids].sort(), expected.map((e) => e.event_id).sort(), 'no event lost');
        // a second request for an event only where the first was made before the kill (in flight then)
        for (const id of ids) {
          const at = receiver.requests.flatMap((r, i) => (r.id === id ? [i] : []));
          if (at.length > 1) assert.ok(at[0]! < killedAt, `event ${id} sent twice though not in flight at the kill`);
        }
        const byStatus = async () =>
          (
            await t.db.query<{ status: string; n: number }>(
              'SELECT status, count(*)::int AS n FROM webhook_messages GROUP BY status',
            )
          ).rows;
        await eventually(async () => (await byStatus()).length === 1, 'every delivery recorded');
        assert.deepEqual(await byStatus(), [{ status: 'DELIVERED', n: expected.length }]);
        await assertDatabaseVerifies(t.engine);
      } finally {
        for (const c of children) {
          c.kill('SIGTERM');
          await exited(c);
        }
        await receiver.stop();
        await t.engine.stop();
        await testDb.drop();
      }
    });
  },
);

for (const kind of ENGINE_KINDS) {
  describe(`an endpoint failing for days (${kind})`, () => {
    let t: TestEngine;
    before(async () => {
      t = await testEngine(kind, { WEBHOOKS_ALLOW_PRIVATE: 'true' });
    });
    after(() => t.close());

    it('is disabled after WEBHOOKS_DISABLE_AFTER_HOURS (5 days) of failures, audited and counted; 4 days is not', async () => {
      const create = (n: number) =>
        t.engine.webhookEndpoints.create(service, { url: `http://127.0.0.1:9/hooks/${n}` }).then((c) => c.endpoint.id);
      const [old, recent, idle] = [await create(1), await create(2), await create(3)];
      // a message still being retried (due tomorrow): the endpoint is failing now, not once long ago
      const retrying = (id: string) =>
        t.db.query(
          `INSERT INTO webhook_messages (endpoint_id, event_id, escrow_id, sequence, event_type, occurred_at,
                                         attempts, round, next_attempt_at)
           VALUES ($1, gen_random_uuid(), gen_random_uuid(), 1, 'EscrowCreated', now(), 3, 3, now() + interval '1 day')`,
          [id],
        );
      await retrying(old);
      await retrying(recent);
      const failingFor = (id: string, hours: number) =>
        t.db.query(`UPDATE webhook_endpoints SET failing_since = now() - make_interval(hours => $2) WHERE id = $1`, [
          id,
          hours,
        ]);
      await failingFor(old, 121);
      await failingFor(recent, 96);
      await failingFor(idle, 200); // one failure long ago, nothing retried since
      await t.engine.webhookDispatcher.runOnce();
      const gone = await t.engine.webhookEndpoints.get(old);
      assert.equal(gone.enabled, false);
      assert.match(gone.disabledReason!, /every attempt failed since .* \(more than 120 hours\)/);
      assert.equal((await t.engine.webhookEndpoints.get(recent)).enabled, true);
      assert.equal((await t.engine.webhookEndpoints.get(idle)).enabled, true, 'an idle endpoint is not failing');
      const { rows } = await t.db.query<{ actor_id: string; details: { endpointId: string } }>(
        `SELECT actor_id, details FROM audit_logs WHERE action = 'WEBHOOK_ENDPOINT_DISABLED'`,
      );
      assert.deepEqual(
        rows.map((r) => [r.actor_id, r.details.endpointId]),
        [['webhooks', old]],
      );
      const metrics = await t.engine.metrics.registry.getSingleMetricAsString('webhook_endpoints_disabled_total');
      assert.match(metrics, /webhook_endpoints_disabled_total\{reason="failing"\} 1/);
      // enabling it again ends the streak
      const back = await t.engine.webhookEndpoints.update(service, old, { enabled: true, reason: 'receiver fixed' });
      assert.deepEqual(
        [back.endpoint.enabled, back.endpoint.failingSince, back.endpoint.disabledReason],
        [true, null, null],
      );
    });
  });
}
