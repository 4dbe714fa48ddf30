/**
 * Issue 10 §3: a database outage or failover never takes the process down. PostgreSQL (a private server: the shared
 * one is everyone's) is stopped for 10 s under load and started again, and the outbox's LISTEN connection is
 * terminated; the engine runs as `escrow serve`, a process of its own, as in production.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgres } from '../src/adapters/db/postgres.js';
import { mintToken } from '../src/http/auth.js';
import { escrowInput } from './harness.js';
import { TEST_JWT_SECRET } from './httpHarness.js';
import { freePort, runCli, startRoles, type RoleProcess } from './processHarness.js';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './privatePostgres.js';

const skip = privatePostgresUnavailable() ?? false;

const env = (pg: PrivatePostgres, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'test',
  DATABASE_URL: pg.url,
  JWT_SECRET: TEST_JWT_SECRET,
  HOST: '127.0.0.1',
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
  DATABASE_POOL_TIMEOUT: '2000',
  ...extra,
});

/** Every line the process prints from now on (startRoles keeps only the last ones). */
function collect(p: RoleProcess): string[] {
  const lines: string[] = [];
  let buffer = '';
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  };
  p.child.stdout?.on('data', onData);
  p.child.stderr?.on('data', onData);
  return lines;
}

/** {"database unavailable": 1, ...}: how many log lines carry each message. */
function countByMessage(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of lines) {
    const msg = (JSON.parse(l) as { msg?: string }).msg ?? l;
    counts[msg] = (counts[msg] ?? 0) + 1;
  }
  return counts;
}

const alive = (p: RoleProcess) => p.child.exitCode === null && p.child.signalCode === null;

/** Polls `probe` until it returns a value; `guard` (e.g. "the process is up") is checked on every round. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, guard = () => {}): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    guard();
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(200);
  }
}

interface Answer {
  status: number;
  id?: string;
  code?: string;
  retryAfter: string | null;
  contentType: string | null;
}

/** Clients creating escrows until stopped; every answer is kept (a request that hangs fails the test). */
function load(baseUrl: string, token: string, clients: number) {
  const answers: Answer[] = [];
  let running = true;
  const one = async (): Promise<void> => {
    while (running) {
      const res = await fetch(`${baseUrl}/api/escrow`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(escrowInput()),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { id?: string; code?: string };
      answers.push({
        status: res.status,
        ...(body.id ? { id: body.id } : {}),
        ...(body.code ? { code: body.code } : {}),
        retryAfter: res.headers.get('retry-after'),
        contentType: res.headers.get('content-type'),
      });
      await sleep(res.status === 201 ? 10 : 100);
    }
  };
  const done = Promise.all(Array.from({ length: clients }, one));
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe('database outage (a private PostgreSQL stopped and restarted)', () => {
  it(
    'PostgreSQL stopped for 10 s under load: the process stays up, 503s during, full recovery, nothing acknowledged lost',
    { skip, timeout: 180_000 },
    async (t) => {
      const pg = await startPrivatePostgres();
      let serve: RoleProcess | undefined;
      try {
        assert.equal((await runCli(['migrate'], env(pg))).code, 0);
        const port = await freePort();
        serve = await startRoles('serve', 'api,settlements,timeouts,outbox', env(pg, { PORT: String(port) }));
        const lines = collect(serve);
        const base = `http://127.0.0.1:${port}`;
        const traffic = load(base, await mintToken(TEST_JWT_SECRET, { sub: 'mkt', role: 'service' }, '1h'), 4);
        await sleep(2000);

        await pg.stop();
        const during = Date.now();
        let health: number | undefined;
        let live: number | undefined;
        while (Date.now() - during < 10_000) {
          health = (await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) })).status;
          live = (await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(10_000) })).status;
          assert.ok(alive(serve), 'the process is up while PostgreSQL is stopped');
          await sleep(1000);
        }
        assert.equal(health, 503, '/health reports the outage');
        assert.equal(live, 200, '/health/live stays up');
        const before = traffic.answers.length;
        const restarted = Date.now();
        await pg.start();
        const recovered = () => traffic.answers.slice(before).some((a) => a.status === 201);
        await until('a create to succeed again', () => Promise.resolve(recovered() ? true : undefined));
        const recoveryMs = Date.now() - restarted;
        await sleep(1000);
        await traffic.stop();
        assert.ok(alive(serve), 'the process is up after the outage');

        const answers = traffic.answers;
        const refused = answers.filter((a) => a.status !== 201);
        assert.ok(refused.length > 0, 'some requests came in during the outage');
        for (const a of refused) {
          assert.equal(a.status, 503, `an outage is a 503, got ${JSON.stringify(a)}`);
          assert.equal(a.code, 'DATABASE_UNAVAILABLE');
          assert.ok(Number(a.retryAfter) > 0, 'Retry-After is set');
          assert.match(a.contentType ?? '', /application\/problem\+json/);
        }
        const acked = answers.filter((a) => a.status === 201).map((a) => a.id!);
        const db = await openPostgres({ url: pg.url, poolSize: 2, connectionTimeoutMs: 5000 });
        try {
          const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM escrows WHERE id = ANY($1)', [
            acked,
          ]);
          assert.equal(rows[0]!.n, acked.length, 'every acknowledged create is in the database');
          await until('the outbox to drain', async () => {
            const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
            return r.rows[0]!.n === 0 ? true : undefined;
          });
        } finally {
          await db.close();
        }
        assert.equal((await fetch(`${base}/health`)).status, 200, '/health is healthy again');
        const verify = await runCli(['verify'], env(pg));
        assert.equal(verify.code, 0, verify.out);
        const back = lines.find((l) => l.includes('database available again')) ?? '{}';
        t.diagnostic(
          `${acked.length} creates acknowledged, ${refused.length} answered 503; first 201 ${recoveryMs} ms after ` +
            `pg_ctl start; outage logged as ${(JSON.parse(back) as { outage_ms?: number }).outage_ms} ms; ` +
            `warn/error lines: ${JSON.stringify(countByMessage(lines.filter((l) => /"level":"?(warn|error|fatal)/.test(l))))}`,
        );
        assert.equal(lines.filter((l) => l.includes('database unavailable')).length, 1, 'one line when it started');
        assert.equal(lines.filter((l) => l.includes('database available again')).length, 1, 'one when it ended');
        assert.deepEqual(
          lines.filter((l) => l.includes('unhandled error') || l.includes('worker tick failed')),
          [],
          'no stack per request or per tick',
        );
      } finally {
        await serve?.stop();
        await pg.destroy();
      }
    },
  );

  it(
    'PostgreSQL frozen (no answer, connections open): requests get 503 in bounded time, not a hang; it resumes after',
    { skip, timeout: 120_000 },
    async () => {
      const pg = await startPrivatePostgres();
      let serve: RoleProcess | undefined;
      try {
        assert.equal((await runCli(['migrate'], env(pg))).code, 0);
        const port = await freePort();
        const settings = { PORT: String(port), DATABASE_STATEMENT_TIMEOUT_MS: '1000' };
        serve = await startRoles('serve', 'api,settlements,timeouts,outbox', env(pg, settings));
        const base = `http://127.0.0.1:${port}`;
        const token = await mintToken(TEST_JWT_SECRET, { sub: 'mkt', role: 'service' }, '1h');
        const create = () =>
          fetch(`${base}/api/escrow`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(escrowInput()),
            // Far beyond the statement timeout and its margin: only a hang reaches it.
            signal: AbortSignal.timeout(30_000),
          });
        assert.equal((await create()).status, 201);
        await pg.freeze();
        try {
          const frozen = await Promise.all([create(), create(), fetch(`${base}/health`)]);
          assert.deepEqual(
            frozen.map((r) => r.status),
            [503, 503, 503],
          );
          const body = (await frozen[0].json()) as { code: string };
          assert.equal(body.code, 'DATABASE_UNAVAILABLE');
          assert.equal((await fetch(`${base}/health/live`)).status, 200);
        } finally {
          await pg.thaw();
        }
        await until('a create to succeed again', async () => ((await create()).status === 201 ? true : undefined));
        assert.ok(alive(serve), 'the process is up');
        const verify = await runCli(['verify'], env(pg));
        assert.equal(verify.code, 0, verify.out);
      } finally {
        await serve?.stop();
        await pg.destroy();
      }
    },
  );

  it(
    'the LISTEN connection terminated: the outbox process stays up and notifications resume',
    { skip, timeout: 120_000 },
    async () => {
      const pg = await startPrivatePostgres();
      const procs: RoleProcess[] = [];
      const db = await openPostgres({ url: pg.url, poolSize: 2, connectionTimeoutMs: 5000 });
      try {
        assert.equal((await runCli(['migrate'], env(pg))).code, 0);
        const port = await freePort();
        procs.push(await startRoles('api', 'api,settlements,timeouts', env(pg, { PORT: String(port) })));
        // Polls every 10 minutes: only a NOTIFY makes this outbox publish within the test.
        const outbox = await startRoles('outbox', 'outbox', env(pg, { OUTBOX_POLL_INTERVAL_MS: '600000' }));
        procs.push(outbox);
        const token = await mintToken(TEST_JWT_SECRET, { sub: 'mkt', role: 'service' }, '1h');
        const create = async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/escrow`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(escrowInput()),
          });
          assert.equal(res.status, 201);
          return ((await res.json()) as { id: string }).id;
        };
        const published = (id: string) =>
          until(`the events of ${id} to be published`, async () => {
            const r = await db.query<{ n: number }>(
              'SELECT count(*)::int AS n FROM outbox WHERE escrow_id = $1 AND published_at IS NULL',
              [id],
            );
            return r.rows[0]!.n === 0 ? true : undefined;
          });
        const listeners = async () =>
          (
            await db.query<{ pid: number }>(
              "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()",
            )
          ).rows.map((r) => r.pid);
        await published(await create());
        const [old] = await listeners();
        assert.ok(old, 'the outbox process listens');

        await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %'");
        const up = () => assert.ok(alive(outbox), `the outbox process is up:\n${outbox.output.slice(-20).join('\n')}`);
        await until(
          'LISTEN to be re-established',
          async () => {
            const now = await listeners();
            return now.length > 0 && !now.includes(old) ? true : undefined;
          },
          up,
        );
        await published(await create());
        up();
        const verify = await runCli(['verify'], env(pg));
        assert.equal(verify.code, 0, verify.out);
      } finally {
        for (const p of procs) await p.stop();
        await db.close();
        await pg.destroy();
      }
    },
  );
});
