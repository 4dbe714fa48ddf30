import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Database } from '../src/adapters/db/database.js';
import type { TokenRevocation } from '../src/app/ports/tokenRevocationStore.js';
import type { RevokeOutcome } from '../src/app/tokens.js';
import { serverBackend } from '../src/cli/server.js';
import { loadConfig } from '../src/config/index.js';
import { mintToken } from '../src/http/auth.js';
import { dataDirCli } from './dataDirCli.js';
import { assertDatabaseVerifies, tableCounts } from './harness.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';

// `escrow tokens revoke|list` and the admin routes' edges: a dry run changes nothing (the database before and after),
// the CLI locally and through a server's admin API, validation as problem+json; and the server's JWT settings
// (issuer, audience, a rotation's previous secret) as the CLI's own token meets them. PGlite: one process
// (tokens.e2e.test.ts has the replicas).

async function counts(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM token_revocations');
  return { ...(await tableCounts(db)), token_revocations: rows[0]!.n };
}

const jtiOf = (token: string): string => String(decodeJwt(token).jti);

describe('escrow tokens on an embedded data directory', () => {
  let tmp: string;
  let env: Record<string, string>;
  const { cli, withEngine } = dataDirCli(() => env);
  const dbCounts = () => withEngine((e) => counts(e.db));
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-tokens-'));
    env = { DATA_DIR: join(tmp, 'data') };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a dry run says what it would revoke and changes nothing; then revoke, list (audited as the CLI)', async () => {
    const minted = await cli('token', '--sub', 'ops-mallory', '--role', 'admin', '--ttl', '1h');
    assert.equal(minted.code, 0, minted.err);
    const jti = jtiOf(minted.out.trim());
    const before = await dbCounts();
    const dry = await cli('tokens', 'revoke', '--jti', jti, '--reason', 'pasted in a ticket', '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.err);
    const would = JSON.parse(dry.out) as RevokeOutcome;
    assert.deepEqual([would.dryRun, would.revoked, would.revocation.value], [true, true, jti]);
    assert.match(would.revocation.revokedBy, /^cli:/);
    const dryText = await cli('tokens', 'revoke', '--subject', 'ops-mallory', '--reason', 'stolen', '--dry-run');
    assert.match(dryText.out, /^dry run, nothing changed: would record: every token of ops-mallory issued before /);
    assert.deepEqual(await dbCounts(), before, 'the dry runs wrote nothing');

    const done = await cli('tokens', 'revoke', '--jti', jti, '--reason', 'pasted in a ticket');
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, new RegExp(`^token ${jti} revoked at \\S+ by cli:\\S+ \\(admin\\): pasted in a ticket\\n$`));
    const again = await cli('tokens', 'revoke', '--jti', jti, '--reason', 'twice');
    assert.match(again.out, /^already revoked, nothing changed: /);
    const subject = await cli('tokens', 'revoke', '--subject', 'ops-mallory', '--reason', 'laptop stolen', '--json');
    assert.equal((JSON.parse(subject.out) as RevokeOutcome).revocation.kind, 'subject');

    const list = JSON.parse((await cli('tokens', 'list', '--json', '--limit', '5')).out) as {
      items: TokenRevocation[];
    };
    assert.deepEqual(
      list.items.map((r) => [r.kind, r.value]),
      [
        ['subject', 'ops-mallory'],
        ['jti', jti],
      ],
    );
    assert.match((await cli('tokens', 'list')).out, /^every token of ops-mallory issued before \S+ revoked at /);
    const audit = await withEngine((e) =>
      e.db.query<{ actor_id: string; reason: string }>(
        `SELECT actor_id, details->>'reason' AS reason FROM audit_logs WHERE action = 'token.revoke' ORDER BY id`,
      ),
    );
    assert.deepEqual(
      audit.rows.map((r) => r.reason),
      ['pasted in a ticket', 'laptop stolen'],
    );
    assert.ok(audit.rows.every((r) => r.actor_id.startsWith('cli:')));
  });

  it('usage errors: neither or both of --jti and --subject, no reason, a bad limit, no subcommand', async () => {
    for (const args of [
      ['tokens', 'revoke', '--reason', 'x'],
      ['tokens', 'revoke', '--jti', 'a', '--subject', 'b', '--reason', 'x'],
      ['tokens', 'revoke', '--jti', 'a'],
      ['tokens', 'revoke', '--jti', 'a', '--reason', ' '],
      ['tokens', 'list', '--limit', '0'],
      ['tokens'],
      ['tokens', 'bogus'],
    ]) {
      const run = await cli(...args);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.err}`);
      assert.equal(run.out, '');
    }
  });
});

describe('the admin routes: through the CLI server backend, dry runs, problems', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite');
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('the CLI via a server: a dry run writes nothing; the revoked token is refused at once; the list', async () => {
    const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });
    const holder = { pid: process.pid, hostname: 'here', startedAt: '', token: 't', url: s.baseUrl };
    const backend = await serverBackend(config, holder, 'cli:tester');
    const leaked = await s.token('svc-market', 'service');
    const before = await counts(s.testDb.db);
    const dry = await backend.revokeToken({ jti: jtiOf(leaked), reason: 'leaked in logs', dryRun: true });
    assert.deepEqual([dry.dryRun, dry.revocation.revokedBy], [true, 'cli:tester']);
    assert.deepEqual(await counts(s.testDb.db), before, 'the dry run wrote nothing');
    assert.notEqual((await s.call('GET', '/api/escrow/e-none', { token: leaked })).status, 401);

    const done = await backend.revokeToken({ jti: jtiOf(leaked), reason: 'leaked in logs', dryRun: false });
    assert.equal(done.revoked, true);
    const refused = await s.call<{ code: string }>('GET', '/api/escrow/e-none', { token: leaked });
    assert.deepEqual([refused.status, refused.body.code], [401, 'TOKEN_REVOKED']);
    assert.equal((await backend.revocations(10)).items[0]?.reason, 'leaked in logs');
  });

  it('refuses bad input as problem+json naming the field, and anyone but an admin', async () => {
    const admin = await s.token('ops', 'admin');
    const before = await counts(s.testDb.db);
    for (const [body, field] of [
      [{ reason: 'x' }, 'jti'],
      [{ jti: 'a', subject: 'b', reason: 'x' }, 'jti'],
      [{ jti: 'a' }, 'reason'],
      [{ subject: 'has space', reason: 'x' }, 'subject'],
      [{ jti: 'a', reason: '' }, 'reason'],
      [{ jti: 'a', reason: 'x', extra: 1 }, 'extra'],
    ] as const) {
      const res = await s.call<{ code: string; errors?: { field: string }[] }>('POST', '/api/admin/tokens/revoke', {
        token: admin,
        body,
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.code, 'VALIDATION_ERROR');
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(JSON.stringify(res.body).includes(field), `${JSON.stringify(body)}: ${res.text}`);
    }
    assert.equal((await s.call('GET', '/api/admin/tokens/revocations?limit=0', { token: admin })).status, 400);
    const user = await s.token('buyer-1', 'user');
    const forbidden = await s.call('POST', '/api/admin/tokens/revoke', {
      token: user,
      body: { subject: 'ops', reason: 'x' },
    });
    assert.equal(forbidden.status, 403, forbidden.text);
    assert.equal((await s.call('GET', '/api/admin/tokens/revocations')).status, 401);
    assert.deepEqual(await counts(s.testDb.db), before, 'nothing refused was written');
  });
});

describe("the server's JWT settings: issuer, audience and a rotation, as the CLI's token meets them", () => {
  const NEW = 'rotated-secret-'.padEnd(80, 'r');
  const env = {
    JWT_SECRET: NEW,
    JWT_SECRET_PREVIOUS: TEST_JWT_SECRET,
    JWT_SECRET_PREVIOUS_UNTIL: new Date(Date.now() + 3_600_000).toISOString(),
    JWT_ISSUER: 'escrow-services',
    JWT_AUDIENCE: 'escrow-api',
  };
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', env);
  });
  after(() => s.close());

  it("the CLI's server token carries iss and aud; a token without iss is refused; the previous secret's still works", async () => {
    const backend = await serverBackend(
      loadConfig({ NODE_ENV: 'test', ...env }),
      { pid: process.pid, hostname: 'here', startedAt: '', token: 't', url: s.baseUrl },
      'cli:tester',
    );
    assert.deepEqual((await backend.revocations(5)).items, []);
    const bare = await s.call<{ detail: string }>('GET', '/api/admin/tokens/revocations', {
      token: await s.token('ops', 'admin', { secret: NEW }),
    });
    assert.equal(bare.status, 401);
    assert.match(bare.body.detail, /JWT_ISSUER/);
    // until JWT_SECRET_PREVIOUS_UNTIL, the previous secret's tokens (with iss and aud) still work
    const claims = { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE };
    const old = await mintToken(TEST_JWT_SECRET, { sub: 'ops', role: 'admin' }, '1h', claims);
    assert.equal((await s.call('GET', '/api/admin/tokens/revocations', { token: old })).status, 200);
  });
});
