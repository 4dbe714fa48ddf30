import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, decodeJwt } from 'jose';
import type { Database } from '../src/adapters/db/database.js';
import { TOKEN_REVOCATION_MAX_AGE_MS, type RevokeOutcome } from '../src/app/tokens.js';
import { assertDatabaseVerifies, tableCounts } from './harness.js';
import { keyId } from '../src/http/auth.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';

// Token revocation across replicas (issue 13 item 4, seed 004): two API servers (A and B: each its own engine, pool
// and LISTEN connection) on one PostgreSQL database. An admin revokes on A; B refuses the token (401 TOKEN_REVOKED)
// once its own in-memory set has it: by NOTIFY, at most TOKEN_REVOCATION_MAX_AGE_MS without it. B is polled up to
// that advertised delay (no fixed sleep); a dry run leaves every table as it was.

async function within(what: string, boundMs: number, ok: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > boundMs) assert.fail(`${what}: not within ${boundMs} ms`);
    await sleep(10);
  }
  return Date.now() - start;
}

/** Every table's rows, the revocations included: what a dry run must leave as it was. */
async function counts(db: Database): Promise<Record<string, number>> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM token_revocations');
  return { ...(await tableCounts(db)), token_revocations: rows[0]!.n };
}

describe('token revocation on two API replicas on one PostgreSQL database', () => {
  let a: TestServer;
  let b: TestServer;
  let admin: string;

  before(async () => {
    // PostgreSQL is what makes two replicas (PGlite is one process): without it this suite fails, it never skips
    assert.ok(process.env.TEST_DATABASE_URL, 'set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test');
    a = await testServer('postgres', {}, ['api']);
    const other = await a.testDb.openAnother(4);
    // B's own pool on A's schema; A's testDb drops it (and the schema) at the end
    b = await testServer('postgres', {}, ['api'], { testDb: { ...a.testDb, db: other, drop: async () => {} } });
    admin = await a.token('ops-alice', 'admin');
    assert.ok(a.engine.tokens.held && b.engine.tokens.held, 'each replica holds the set: no query per request');
  });
  after(async () => {
    try {
      if (a) await assertDatabaseVerifies(a.engine);
    } finally {
      await b?.close();
      await a?.close();
    }
  });

  /** What B answers `token` on an admin read: 200, or the 401's code. */
  const onB = async (token: string) => {
    const res = await b.call<{ code?: string; detail?: string }>('GET', '/api/admin/tokens/revocations', { token });
    return res.status === 200 ? 'ok' : `${res.status} ${res.body.code}`;
  };
  const revoke = (body: Record<string, unknown>) =>
    a.call<RevokeOutcome>('POST', '/api/admin/tokens/revoke', { token: admin, body });

  it('a token revoked by jti on A is refused by B within the advertised delay; the dry run wrote nothing', async (t) => {
    const leaked = await a.token('ops-mallory', 'admin');
    const sibling = await a.token('ops-mallory', 'admin');
    const jti = String(decodeJwt(leaked).jti);
    assert.equal(await onB(leaked), 'ok');
    const reason = 'token pasted in a public ticket, INC-2301';

    const before = await counts(a.testDb.db);
    const dry = await revoke({ jti, reason, dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual([dry.body.dryRun, dry.body.revoked, dry.body.revocation.value], [true, true, jti]);
    assert.deepEqual(await counts(a.testDb.db), before, 'the dry run wrote nothing');
    assert.equal(await onB(leaked), 'ok', 'nor revoked anything');

    const done = await revoke({ jti, reason });
    assert.equal(done.status, 200, done.text);
    assert.deepEqual([done.body.dryRun, done.body.revoked], [false, true]);
    assert.deepEqual(
      [done.body.revocation.kind, done.body.revocation.revokedBy, done.body.revocation.reason],
      ['jti', 'ops-alice', reason],
    );
    // A (the replica that took it) refuses it before answering; B within the advertised delay
    const onA = await a.call<{ code: string; detail: string }>('GET', '/api/admin/tokens/revocations', {
      token: leaked,
    });
    assert.equal(onA.status, 401, onA.text);
    assert.equal(onA.body.code, 'TOKEN_REVOKED');
    assert.match(onA.body.detail, /revoked/);
    assert.ok(!onA.body.detail.includes(reason), 'why is for the operators, not the caller');
    const delay = await within('B to refuse the token', TOKEN_REVOCATION_MAX_AGE_MS, async () => {
      return (await onB(leaked)) === '401 TOKEN_REVOKED';
    });
    t.diagnostic(`refused on B ${delay} ms after the answer (advertised: within ${TOKEN_REVOCATION_MAX_AGE_MS} ms)`);
    assert.equal(await onB(sibling), 'ok', "the subject's other tokens still work");

    // the audit row: who and why, in the revocation's transaction; revoking it again keeps the first
    const again = await revoke({ jti, reason: 'again' });
    assert.deepEqual([again.status, again.body.revoked, again.body.revocation.reason], [200, false, reason]);
    const audit = await a.testDb.db.query<{ actor_id: string; actor_role: string; reason: string; value: string }>(
      `SELECT actor_id, actor_role, details->>'reason' AS reason, details->'revocation'->>'value' AS value
         FROM audit_logs WHERE action = 'token.revoke' ORDER BY id`,
    );
    assert.deepEqual(audit.rows, [{ actor_id: 'ops-alice', actor_role: 'admin', reason, value: jti }]);
    assert.equal((await counts(a.testDb.db)).token_revocations, 1);
  });

  it('a subject revocation refuses its older tokens (and those without iat) on B; a token minted after works', async () => {
    const older = await a.token('ops-bob', 'admin');
    const noIat = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ops-bob')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
    assert.equal(await onB(noIat), 'ok');
    // the revocation's time is A's clock (a test clock): brought to now, after `older` was issued
    a.clock.advance(Date.now() + 1 - a.clock.now().getTime());

    const before = await counts(a.testDb.db);
    const dry = await revoke({ subject: 'ops-bob', reason: 'seed 004: admin laptop stolen', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual([dry.body.dryRun, dry.body.revocation.kind], [true, 'subject']);
    assert.deepEqual(await counts(a.testDb.db), before, 'the dry run wrote nothing');
    assert.equal(await onB(older), 'ok');

    const done = await revoke({ subject: 'ops-bob', reason: 'seed 004: admin laptop stolen' });
    assert.equal(done.status, 200, done.text);
    const revokedAt = Date.parse(done.body.revocation.revokedAt);
    await within('B to refuse the older token', TOKEN_REVOCATION_MAX_AGE_MS, async () => {
      return (await onB(older)) === '401 TOKEN_REVOKED';
    });
    assert.equal(await onB(noIat), '401 TOKEN_REVOKED', 'no iat: it may be older');
    assert.equal(await onB(admin), 'ok', 'other subjects are not touched');

    // iat has whole seconds: a token minted in the revocation's own second is refused too; the next second's works
    await within('the next second', 1_100, () => Promise.resolve(Date.now() >= Math.ceil(revokedAt / 1000) * 1000));
    const fresh = await a.token('ops-bob', 'admin');
    assert.equal(await onB(fresh), 'ok');
    const list = await b.call<{ items: { kind: string; value: string }[] }>(
      'GET',
      '/api/admin/tokens/revocations?limit=10',
      { token: fresh },
    );
    assert.deepEqual(
      list.body.items.map((r) => [r.kind, r.value]),
      [
        ['subject', 'ops-bob'],
        ['jti', list.body.items[1]?.value],
      ],
    );
    const audit = await a.testDb.db.query<{ actor_id: string; reason: string }>(
      `SELECT actor_id, details->>'reason' AS reason FROM audit_logs
        WHERE action = 'token.revoke' AND details->'revocation'->>'kind' = 'subject'`,
    );
    assert.deepEqual(audit.rows, [{ actor_id: 'ops-alice', reason: 'seed 004: admin laptop stolen' }]);
  });

  it("an identity provider's jti with base64's + / = is revoked by id like any other", async () => {
    const jti = 'kx9+Qm/Tz0w=';
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyId(TEST_JWT_SECRET) })
      .setSubject('ops-idp-user')
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);
    assert.equal(await onB(token), 'ok');
    const done = await revoke({ jti, reason: 'an IdP token in a chat log, INC-2402' });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.revocation.value, jti);
    await within('B refuses it', TOKEN_REVOCATION_MAX_AGE_MS, async () => (await onB(token)) === '401 TOKEN_REVOKED');
    const refused = await revoke({ jti: 'has space', reason: 'x' });
    assert.equal(refused.status, 400);
  });
});
