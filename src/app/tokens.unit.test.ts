import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/index.js';
import type { NewTokenRevocation, TokenRevocation, TokenRevocationStore } from './ports/tokenRevocationStore.js';
import { TOKEN_REVOCATION_MAX_AGE_MS, TokenService, isRevokedBy, revokedSetOf } from './tokens.js';

assert.equal(TOKEN_REVOCATION_MAX_AGE_MS, 2_000, 'the advertised delay (README, docs/operations.md) is 2 s');

/** The store in memory: what was stored, and how often it was read. */
function memoryStore() {
  const rows: TokenRevocation[] = [];
  let reads = 0;
  const store: TokenRevocationStore = {
    revoke: (r: NewTokenRevocation) => {
      const first = r.kind === 'jti' ? rows.find((x) => x.kind === 'jti' && x.value === r.value) : undefined;
      if (first) return Promise.resolve({ created: false, revocation: first });
      const revocation = {
        ...{ id: r.id, kind: r.kind, value: r.value, reason: r.reason },
        ...{ revokedBy: r.actor.id, revokedRole: r.actor.role, revokedAt: r.at },
      };
      rows.push(revocation);
      return Promise.resolve({ created: true, revocation });
    },
    findJti: (jti) => Promise.resolve(rows.find((x) => x.kind === 'jti' && x.value === jti) ?? null),
    inForce: (jtiSince) => {
      reads++;
      const live = rows.filter((r) => r.kind === 'subject' || r.revokedAt > jtiSince);
      return Promise.resolve(live.map(({ kind, value, revokedAt }) => ({ kind, value, revokedAt })));
    },
    list: (limit) => Promise.resolve([...rows].reverse().slice(0, limit)),
    watch: () => Promise.resolve(() => Promise.resolve()),
  };
  return { store, rows, reads: () => reads };
}

const T = Date.parse('2026-12-02T10:00:00.500Z');
const clock = { now: () => new Date(T) };
const DAY_MS = 86_400_000;
const admin = { id: 'ops-alice', role: 'admin' as const };

describe('isRevokedBy: by token id, and by subject for tokens issued before the revocation', () => {
  const set = revokedSetOf([
    { kind: 'jti', value: 'j-1', revokedAt: '2026-12-01T00:00:00.000Z' },
    { kind: 'subject', value: 'ops-bob', revokedAt: '2026-12-01T00:00:00.000Z' },
    { kind: 'subject', value: 'ops-bob', revokedAt: new Date(T).toISOString() },
  ]);
  const second = Math.floor(T / 1000);

  it('a revoked jti, whatever its subject; other ids pass', () => {
    assert.equal(isRevokedBy(set, { jti: 'j-1', sub: 'anyone', iat: second + 99 }), true);
    assert.equal(isRevokedBy(set, { jti: 'j-2', sub: 'anyone', iat: second }), false);
  });

  it("a subject's latest cut-off: earlier iat (and the cut-off's own second) refused, later passes, no iat refused", () => {
    assert.equal(isRevokedBy(set, { sub: 'ops-bob', iat: second - 3600 }), true);
    assert.equal(isRevokedBy(set, { sub: 'ops-bob', iat: second }), true, 'the same second: it may be older');
    assert.equal(isRevokedBy(set, { sub: 'ops-bob', iat: second + 1 }), false);
    assert.equal(isRevokedBy(set, { sub: 'ops-bob' }), true);
    assert.equal(isRevokedBy(set, { sub: 'ops-carol' }), false);
  });
});

describe('TokenService', () => {
  it('revokes by jti or subject, audited by the store; a dry run stores nothing; a jti twice keeps the first', async () => {
    const m = memoryStore();
    const tokens = new TokenService({ store: m.store, clock, maxTokenLifetimeMs: DAY_MS });
    const dry = await tokens.revoke(admin, { jti: 'j-1', reason: ' leaked ', dryRun: true });
    assert.deepEqual([dry.dryRun, dry.revoked, dry.revocation.reason, m.rows.length], [true, true, 'leaked', 0]);
    assert.equal(await tokens.isRevoked({ jti: 'j-1', sub: 'u' }), false);
    const done = await tokens.revoke(admin, { jti: 'j-1', reason: 'leaked' });
    assert.deepEqual([done.dryRun, done.revoked, done.revocation.revokedBy], [false, true, 'ops-alice']);
    assert.equal(await tokens.isRevoked({ jti: 'j-1', sub: 'u' }), true, 'not watching: the store is asked');
    const again = await tokens.revoke(admin, { jti: 'j-1', reason: 'again', dryRun: true });
    assert.deepEqual([again.revoked, again.revocation.reason], [false, 'leaked']);
    assert.equal((await tokens.revoke(admin, { jti: 'j-1', reason: 'again' })).revoked, false);
    await tokens.revoke(admin, { subject: 'ops-bob', reason: 'stolen' });
    assert.deepEqual(
      (await tokens.list(10)).items.map((r) => r.kind),
      ['subject', 'jti'],
    );
  });

  it('once watching, checks are in memory (no read per check) and a local revocation holds before it answers', async () => {
    const m = memoryStore();
    const tokens = new TokenService({ store: m.store, clock, maxTokenLifetimeMs: DAY_MS });
    const stop = await tokens.watch();
    try {
      const reads = m.reads();
      for (let i = 0; i < 50; i++) assert.equal(tokens.isRevoked({ sub: 'ops-bob', iat: 0 }), false);
      assert.equal(m.reads(), reads);
      await tokens.revoke(admin, { subject: 'ops-bob', reason: 'stolen' });
      assert.equal(tokens.isRevoked({ sub: 'ops-bob', iat: 0 }), true);
    } finally {
      await stop();
    }
  });

  it('a token id revoked longer ago than the longest token lifetime drops out of memory; subjects stay', async () => {
    const m = memoryStore();
    let now = T;
    const moving = { now: () => new Date(now) };
    const tokens = new TokenService({ store: m.store, clock: moving, maxTokenLifetimeMs: DAY_MS });
    await tokens.revoke(admin, { jti: 'j-old', reason: 'leaked' });
    await tokens.revoke(admin, { subject: 'ops-bob', reason: 'left' });
    now = T + DAY_MS + 2 * 60_000; // past the lifetime and the iat skew: every token j-old could name has expired
    const stop = await tokens.watch();
    try {
      assert.equal(tokens.isRevoked({ jti: 'j-old', sub: 'u', iat: Math.floor(T / 1000) }), false);
      assert.equal(tokens.isRevoked({ sub: 'ops-bob', iat: Math.floor(T / 1000) - 1 }), true);
    } finally {
      await stop();
    }
  });

  it('refuses bad input naming the field, and anyone but an admin', async () => {
    const tokens = new TokenService({ store: memoryStore().store, clock, maxTokenLifetimeMs: DAY_MS });
    for (const [input, field] of [
      [{ reason: 'x' }, 'jti'],
      [{ jti: 'a', subject: 'b', reason: 'x' }, 'jti'],
      [{ jti: 'has space', reason: 'x' }, 'jti'],
      [{ subject: 'x'.repeat(129), reason: 'x' }, 'subject'],
      [{ jti: 'a', reason: '  ' }, 'reason'],
      [{ jti: 'a', reason: 'x'.repeat(501) }, 'reason'],
    ] as const) {
      await assert.rejects(tokens.revoke(admin, input), (err: unknown) => {
        assert.ok(err instanceof DomainError && err.code === 'VALIDATION_ERROR', String(err));
        assert.ok(err.message.startsWith(`${field}:`), err.message);
        return true;
      });
    }
    await assert.rejects(tokens.revoke({ id: 'u', role: 'user' }, { jti: 'a', reason: 'x' }), /only an admin/);
    await assert.rejects(tokens.list(0), /limit: must be 1-100/);
  });
});
