import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openPglite } from '../src/adapters/db/pglite.js';
import { dataDirSecret, mintToken } from '../src/http/auth.js';
import { cli, json, serve, stop, type Server } from './dataDirHarness.js';
import { escrowInput } from './harness.js';
import { missing } from './services.js';

/**
 * One owner per embedded data directory (issue 10 §1): the server and every CLI command on one directory at once.
 * The CLI goes through the running server, so the server sees each change at once and nothing is lost on restart;
 * a second server is refused naming the first; a killed server's lock is taken over.
 */

describe('one owner per embedded data directory (server and CLI at once)', () => {
  let tmp: string;
  let dataDir: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  let token: string;
  let escrowId: string;

  const api = async (method: string, path: string, body?: unknown, as = token) => {
    const res = await fetch(`http://127.0.0.1:${server!.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${as}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-datadir-'));
    dataDir = join(tmp, 'data');
    env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
    server = await serve(env);
    token = await mintToken(dataDirSecret(dataDir), { sub: 'ops-admin', role: 'admin' }, '1h');
    const created = await api('POST', '/api/escrow', escrowInput());
    assert.equal(created.status, 201, JSON.stringify(created.body));
    escrowId = (created.body as { id: string }).id;
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('sandbox pay through the CLI: the running server answers FUNDS_HELD at once', async () => {
    const pay = await cli(['sandbox', 'pay', escrowId], env);
    assert.equal(pay.code, 0, pay.stderr);
    assert.deepEqual(json(pay), { status: 'processed', outcome: 'FUNDS_HELD', escrowId });
    const seen = await api('GET', `/api/escrow/${escrowId}`);
    assert.equal(seen.body.status, 'FUNDS_HELD', 'the server sees the CLI payment (no second copy of the data)');
    assert.equal(seen.body.fundedAmount, '10000');
  });

  it('every other data command runs while the server runs, through it', async () => {
    const [migrate, dryRun, timeouts, verify, status, dlq, replayDry] = await Promise.all([
      cli(['migrate'], env),
      cli(['timeouts', 'run', '--dry-run'], env),
      cli(['timeouts', 'run'], env),
      cli(['verify'], env),
      cli(['outbox', 'status'], env),
      cli(['outbox', 'dlq'], env),
      cli(['outbox', 'replay', '--escrow', escrowId, '--dry-run'], env),
    ]);
    for (const run of [migrate, dryRun, timeouts, verify, status, dlq, replayDry])
      assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(json(migrate), { applied: [], database: 'pglite' }, 'the server migrated when it started');
    assert.deepEqual(json(dryRun), { expired: 0, deliveryTimeouts: 0, skipped: 0, due: [] });
    assert.deepEqual(json(timeouts), { expired: 0, deliveryTimeouts: 0, skipped: 0, due: [] });
    assert.deepEqual(json(verify), { ok: true, escrowsChecked: 1, violations: [] });
    assert.equal(json<{ status: string }>(status).status, 'ok');
    assert.deepEqual(json(dlq), []);
    const events = (await api('GET', `/api/escrow/${escrowId}?include=events`)).body.events as unknown[];
    assert.deepEqual(json(replayDry), { queued: events.length, dryRun: true });

    const replay = await cli(['outbox', 'replay', '--escrow', escrowId, '--reason', 'consumer rebuilt'], env);
    assert.equal(replay.code, 0, replay.stderr);
    assert.deepEqual(json(replay), { queued: events.length });
  });

  it('the admin routes the CLI uses: admin only; a bad request names its field and changes nothing', async () => {
    const user = await mintToken(dataDirSecret(dataDir), { sub: 'buyer-1', role: 'user' }, '1h');
    for (const [method, path] of [
      ['GET', '/api/admin/verify'],
      ['GET', '/api/admin/outbox'],
      ['GET', '/api/admin/outbox/dead-letters'],
      ['GET', '/api/admin/migrations'],
    ] as const) {
      assert.equal((await api(method, path, undefined, user)).status, 403, path);
    }
    const replayAsUser = await api('POST', '/api/admin/outbox/replay', { all: true, reason: 'x' }, user);
    assert.equal(replayAsUser.status, 403);
    const two = await api('POST', '/api/admin/outbox/replay', { all: true, escrowId, reason: 'both' });
    assert.equal(two.status, 400);
    assert.match(String(two.body.detail), /exactly one of all, ids or escrowId/);
    const noReason = await api('POST', '/api/admin/outbox/replay', { all: true });
    assert.equal(noReason.status, 400);
    assert.match(JSON.stringify(noReason.body), /reason/);
    const badLimit = await api('GET', '/api/admin/outbox/dead-letters?limit=0');
    assert.equal(badLimit.status, 400);
    const migrations = await api('GET', '/api/admin/migrations');
    assert.deepEqual(migrations.body.pending, []);
    assert.equal((await api('GET', `/api/escrow/${escrowId}`)).body.version, 2, 'nothing changed');
  });

  it('a second serve on the directory is refused at once, naming the holder and what to do', async (t) => {
    const second = await cli(['serve'], { ...env, PORT: '0' });
    t.diagnostic(`second serve refused after ${second.ms} ms (node and tsx start included)`);
    assert.equal(second.code, 1, second.stdout);
    assert.match(second.stderr, new RegExp(`in use by another process \\(pid ${server!.child.pid}`));
    assert.match(second.stderr, /roles api,worker,settlements,timeouts,outbox/);
    assert.match(second.stderr, new RegExp(`port ${server!.port}`));
    assert.match(second.stderr, /stop that process first, or, while it runs the api role, run escrow CLI commands/);
    assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack');
    assert.doesNotMatch(second.stdout, /listening/);
    const still = await api('GET', `/api/escrow/${escrowId}`);
    assert.equal(still.body.status, 'FUNDS_HELD');
  });

  it('the output is the same through the server and with the server stopped; a restart keeps every change', async () => {
    const through = await Promise.all([cli(['verify'], env), cli(['outbox', 'dlq'], env)]);
    // with the server stopped each command opens the directory itself, under its lock: one waits for the other
    await stop(server);
    server = undefined;
    assert.equal(existsSync(join(dataDir, 'escrow.lock')), false, 'the lock is released on stop');
    const local = await Promise.all([cli(['verify'], env), cli(['outbox', 'dlq'], env)]);
    for (const [i, run] of local.entries()) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, through[i]!.stdout);
    }
    // the replay through the server left an audit row: who (the CLI's user), what, why
    const db = await openPglite(dataDir);
    try {
      const { rows } = await db.query<{ actor_id: string; actor_role: string; details: Record<string, unknown> }>(
        `SELECT actor_id, actor_role, details FROM audit_logs WHERE action = 'outbox.replay'`,
      );
      assert.equal(rows.length, 1, 'the dry run left no audit row, the replay one');
      assert.match(rows[0]!.actor_id, /^cli:/);
      assert.equal(rows[0]!.actor_role, 'admin');
      assert.equal(rows[0]!.details.reason, 'consumer rebuilt');
      assert.equal(rows[0]!.details.escrowId, escrowId);
    } finally {
      await db.close();
    }
    server = await serve(env);
    const again = await api('GET', `/api/escrow/${escrowId}`);
    assert.equal(again.body.status, 'FUNDS_HELD', 'the payment made through the CLI survived the restart');
  });

  it("a killed server's lock is taken over by the next server; escrow verify passes", async () => {
    const killed = server!.child.pid!;
    await stop(server, 'SIGKILL');
    server = undefined;
    assert.equal(existsSync(join(dataDir, 'escrow.lock')), true, 'kill -9 leaves the lock behind');
    server = await serve(env);
    assert.notEqual(server.child.pid, killed);
    const after = await api('GET', `/api/escrow/${escrowId}`);
    assert.equal(after.body.status, 'FUNDS_HELD');
    const verify = await cli(['verify'], env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.deepEqual(json(verify), { ok: true, escrowsChecked: 1, violations: [] });
    await stop(server);
    server = undefined;
    const offline = await cli(['verify'], env);
    assert.equal(offline.code, 0, offline.stderr);
  });
});

describe('serve prints an admin token only in embedded development mode at a terminal (issue 10 §3)', () => {
  let tmp: string;
  let server: Server | undefined;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-token-'));
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('at a terminal, embedded development mode: the token is printed', async () => {
    server = await serve({ DATA_DIR: join(tmp, 'tty'), PORT: '0', HOST: '127.0.0.1' }, { tty: true });
    await stop(server);
    assert.match(server.output(), /Admin token \(24 h\): [\w-]+\.[\w-]+\.[\w-]+/);
  });

  it('stdout a pipe (a log file, a supervisor): no token, only how to mint one', async () => {
    server = await serve({ DATA_DIR: join(tmp, 'pipe'), PORT: '0', HOST: '127.0.0.1' });
    await stop(server);
    assert.doesNotMatch(server.output(), /Admin token|eyJ/);
    assert.match(server.output(), /escrow token --sub ID --role/);
  });

  it('PostgreSQL mode, even at a terminal: no token', { skip: missing(['postgres']) }, async () => {
    const { freshPostgresDatabase } = await import('./processHarness.js');
    const database = await freshPostgresDatabase();
    try {
      const secret = 'datadir-test-secret-'.padEnd(64, 'x');
      server = await serve(
        { DATABASE_URL: database.url, JWT_SECRET: secret, PORT: '0', HOST: '127.0.0.1' },
        { tty: true },
      );
      await stop(server);
      assert.doesNotMatch(server.output(), /Admin token|eyJ/);
    } finally {
      await database.drop();
    }
  });
});
