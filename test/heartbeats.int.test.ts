import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database } from '../src/adapters/db/database.js';
import {
  engineKinds,
  FakeClock,
  actors,
  assertDatabaseVerifies,
  escrowInput,
  freshDatabase,
  testEngine,
  type TestDb,
  type TestEngine,
} from './harness.js';
import { TEST_JWT_SECRET } from './httpHarness.js';

/**
 * Split deployments (issue 10 §5): each role of each process keeps a heartbeat row, so an API replica that runs no
 * timeouts itself still tells whether some timeouts instance is alive, and which — and every metrics server exports
 * the same database gauges. Two engines on one database stand for two processes.
 */

interface Instance {
  instance_id: string;
  host: string;
  pid: number;
  here: boolean;
}
interface Health {
  status: string;
  checks: Record<string, { status: string; detail?: string }>;
  roles?: Record<string, { alive: boolean; instances: Instance[]; last_seen?: string }>;
}

const API_ENV = { PORT: '0', HOST: '127.0.0.1', JWT_SECRET: TEST_JWT_SECRET };

for (const kind of engineKinds()) {
  describe(`role heartbeats on ${kind}: an API-only process and a worker process on one database`, () => {
    let fresh: TestDb;
    let api: TestEngine;
    let base: string;
    const others: TestEngine[] = [];
    /** Another process: on PostgreSQL a pool of its own, on PGlite the one in-process database. */
    const otherProcess = async (env: Record<string, string> = {}) => {
      const db: Database = kind === 'postgres' ? await fresh.openAnother(4) : fresh.db;
      const t = await testEngine(kind, env, { db, clock: api.clock });
      others.push(t);
      return t;
    };
    const health = async (): Promise<Health> => {
      const res = await fetch(`${base}/health`);
      assert.equal(res.status, 200);
      return (await res.json()) as Health;
    };

    before(async () => {
      fresh = await freshDatabase(kind);
      api = await testEngine(kind, API_ENV, { db: fresh.db, clock: new FakeClock() });
      base = `http://127.0.0.1:${(await api.engine.start(['api'])).port}`;
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(api.engine);
      } finally {
        for (const o of others) await o.close();
        await api.close();
        await fresh.drop();
      }
    });

    it("reports the other process's timeouts, settlements, outbox and webhooks as alive, naming the instance", async () => {
      const worker = await otherProcess();
      await worker.engine.start(['timeouts', 'settlements', 'outbox', 'webhooks']);
      const h = await health();
      assert.equal(h.checks.timeouts?.status, 'ok', JSON.stringify(h));
      assert.doesNotMatch(h.checks.timeouts?.detail ?? '', /not running in this process/);
      const [timeouts] = h.roles?.timeouts?.instances ?? [];
      assert.ok(timeouts, JSON.stringify(h.roles));
      assert.equal(timeouts.here, false, 'the instance is the other process');
      assert.equal(timeouts.pid, process.pid);
      assert.match(h.checks.timeouts?.detail ?? '', new RegExp(timeouts.instance_id));
      for (const role of ['settlements', 'outbox', 'webhooks']) {
        assert.equal(h.roles?.[role]?.alive, true, role);
        assert.equal(h.roles?.[role]?.instances[0]?.instance_id, timeouts.instance_id, role);
      }
      const [self] = h.roles?.api?.instances ?? [];
      assert.equal(self?.here, true, 'the API is this process');
      assert.notEqual(self?.instance_id, timeouts.instance_id);
      assert.equal(h.checks.roles?.status, 'ok', h.checks.roles?.detail);
      assert.equal(h.status, 'ok', JSON.stringify(h.checks));

      // a clean stop removes its rows: the API says at once that no timeouts instance is alive
      await worker.engine.stop();
      const gone = await health();
      assert.equal(gone.checks.timeouts?.status, 'degraded', JSON.stringify(gone.checks));
      assert.match(gone.checks.timeouts?.detail ?? '', /no live timeouts instance.*escrow serve --roles timeouts/);
      assert.equal(gone.roles?.timeouts?.alive, false);
      assert.deepEqual(gone.roles?.timeouts?.instances, []);
      assert.equal(gone.checks.roles?.status, 'degraded');
      assert.match(gone.checks.roles?.detail ?? '', /settlements/);
      assert.equal(gone.status, 'degraded');
    });

    it('a process that died (its heartbeat stale) is reported missing, with when it was last seen', async () => {
      // a long interval: the process beats once, at start, and then "dies" without removing its rows
      const crashed = await otherProcess({ HEARTBEAT_INTERVAL_SECONDS: '300', HEARTBEAT_STALE_SECONDS: '600' });
      await crashed.engine.start(['timeouts']);
      assert.equal((await health()).roles?.timeouts?.alive, true);
      await fresh.db.query(
        `UPDATE process_heartbeats SET last_seen = now() - interval '1 minute' WHERE role = 'timeouts'`,
      );
      const h = await health();
      assert.equal(h.checks.timeouts?.status, 'degraded', JSON.stringify(h.checks));
      assert.equal(h.roles?.timeouts?.alive, false);
      assert.ok(h.roles?.timeouts?.last_seen, 'when it was last seen');
      assert.match(h.checks.timeouts?.detail ?? '', /last seen/);
      await crashed.engine.stop();
    });

    it('every metrics server exports the same database gauges, live instances per role included', async () => {
      await api.engine.service.create(actors.buyer, escrowInput());
      const worker = await otherProcess({ METRICS_PORT: '0', HOST: '127.0.0.1' });
      const { metricsPort } = await worker.engine.start(['settlements', 'timeouts']);
      assert.ok(metricsPort);
      const scrape = async (url: string) => {
        const res = await fetch(url);
        assert.equal(res.status, 200);
        return res.text();
      };
      for (const text of [await scrape(`${base}/metrics`), await scrape(`http://127.0.0.1:${metricsPort}/metrics`)]) {
        assert.match(text, /^escrows\{status="AWAIT_FUNDS"\} [1-9]/m);
        assert.match(text, /^outbox_unpublished_events \d+/m);
        assert.match(text, /^escrow_role_instances\{role="api"\} 1$/m);
        assert.match(text, /^escrow_role_instances\{role="timeouts"\} 1$/m);
        assert.match(text, /^escrow_role_instances\{role="outbox"\} 0$/m);
      }
      await worker.engine.stop();
      assert.match(await scrape(`${base}/metrics`), /^escrow_role_instances\{role="timeouts"\} 0$/m);
    });
  });
}
