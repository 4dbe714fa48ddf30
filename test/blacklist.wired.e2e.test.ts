import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BlacklistChange, BlacklistPage } from '../src/app/blacklist.js';
import { cli as childCli, json, serve, stop, type Server } from './dataDirHarness.js';
import { dataDirCli } from './dataDirCli.js';
import { engineKinds } from './harness.js';
import { testServer, type TestServer } from './httpHarness.js';

// The blacklist as wired into the engine: the admin routes on the API app, `escrow blacklist` on an embedded data
// directory (opened by the command) and through the embedded server that holds it.

for (const kind of engineKinds()) {
  describe(`blacklist on the API app (${kind})`, () => {
    let s: TestServer;
    before(async () => {
      s = await testServer(kind);
    });
    after(() => s.close());

    it('adds, lists and removes through the app; the engine exposes the same service', async () => {
      const admin = await s.token('ops-alice', 'admin');
      const added = await s.call<BlacklistChange>('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'USER', value: 'buyer-1', reason: 'fraud' },
      });
      assert.equal(added.status, 201, added.text);
      const dup = await s.call('POST', '/api/admin/blacklist', {
        token: admin,
        body: { kind: 'USER', value: 'buyer-1', reason: 'again' },
      });
      assert.equal(dup.status, 409, dup.text);
      assert.equal(dup.body.code, 'BLACKLIST_ENTRY_EXISTS');
      assert.equal((await s.engine.blacklist.check({ userIds: ['buyer-1'] }))[0]?.entryId, added.body.entry.id);
      const list = await s.call<BlacklistPage>('GET', '/api/admin/blacklist', { token: admin });
      assert.equal(list.body.data.length, 1);
      const removed = await s.call('POST', `/api/admin/blacklist/${added.body.entry.id}/remove`, {
        token: admin,
        body: { reason: 'appeal' },
      });
      assert.equal(removed.status, 200, removed.text);
      const user = await s.token('buyer-1', 'user');
      assert.equal((await s.call('GET', '/api/admin/blacklist', { token: user })).status, 403);
    });
  });
}

describe('escrow blacklist on an embedded data directory, then through its server', () => {
  let tmp: string;
  let env: Record<string, string>;
  let server: Server | undefined;
  const { cli } = dataDirCli(() => env);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-blacklist-'));
    env = { DATA_DIR: join(tmp, 'data'), PORT: '0', HOST: '127.0.0.1' };
  });
  after(async () => {
    await stop(server, 'SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('local: add, list, remove', async () => {
    const added = await cli('blacklist', 'add', '--kind', 'WALLET', '--value', '0xABC', '--reason', 'scam', '--json');
    assert.equal(added.code, 0, added.err);
    const entry = (JSON.parse(added.out) as BlacklistChange).entry;
    assert.equal(entry.value, '0xabc');
    assert.match(entry.createdBy, /^cli:/);
    const listed = await cli('blacklist', 'list');
    assert.match(listed.out, /^ACTIVE WALLET 0xabc/);
    const removed = await cli('blacklist', 'remove', entry.id, '--reason', 'false positive');
    assert.equal(removed.code, 0, removed.err);
  });

  it('server: the same commands go through the admin API', async () => {
    server = await serve(env);
    const added = await childCli(
      ['blacklist', 'add', '--kind', 'USER', '--value', 'u-1', '--reason', 'r', '--json'],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const entry = json<BlacklistChange>(added).entry;
    assert.match(entry.createdBy, /^cli:/);
    const dup = await childCli(['blacklist', 'add', '--kind', 'USER', '--value', 'u-1', '--reason', 'r'], env);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /BLACKLIST_ENTRY_EXISTS/);
    const all = await childCli(['blacklist', 'list', '--all', '--json'], env);
    assert.equal(json<BlacklistPage>(all).data.length, 2);
    const removed = await childCli(['blacklist', 'remove', entry.id, '--reason', 'cleared', '--dry-run'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^dry run, nothing changed/);
  });
});
