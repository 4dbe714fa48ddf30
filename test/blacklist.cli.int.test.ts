import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import type { BlacklistChange, BlacklistPage } from '../src/app/blacklist.js';
import {
  localBlacklistBackend,
  registerBlacklist,
  serverBlacklistBackend,
  type BlacklistBackend,
} from '../src/cli/commands/blacklist.js';
import { createContext } from '../src/cli/context.js';
import { CliFailure, exitCodeFor } from '../src/cli/exitCodes.js';
import type { Io } from '../src/cli/output.js';
import { blacklistServer, type BlacklistServer } from './blacklistHarness.js';
import { engineKinds } from './harness.js';

// `escrow blacklist add|remove|list` on both of the CLI's ways: this process's service (local) and the embedded
// server's admin API (server), with the same output, exit codes and audit rows (actor: the CLI's operator).

const CLI_ACTOR = { id: 'cli:tester', role: 'admin' as const };
const WALLET = '0xDEADbeef00000000000000000000000000000001';

function buffers(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

/** `escrow blacklist …` in process, as runCli runs a program, on `backend`. */
async function cli(backend: BlacklistBackend, args: string[]) {
  const io = buffers();
  const ctx = createContext(io, { DATA_DIR: '/nonexistent/escrow-blacklist-cli' });
  const program = new Command('escrow')
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) })
    .exitOverride();
  registerBlacklist(program, ctx, (_config, run) => run(backend));
  let code: number;
  try {
    await program.parseAsync(['blacklist', ...args], { from: 'user' });
    code = ctx.exitCode;
  } catch (err) {
    code = exitCodeFor(err, io);
  }
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The server way: the admin API with a token for the CLI's operator; a problem is a CliFailure, as src/cli/server.ts. */
function viaServer(s: BlacklistServer): BlacklistBackend {
  const token = s.token(CLI_ACTOR.id, 'admin');
  return serverBlacklistBackend(async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await s.call(method, path, { token: await token, ...(body === undefined ? {} : { body }) });
    if (res.status >= 400) throw new CliFailure(`${String(res.body.code)}: ${String(res.body.detail)}`);
    return res.body as T;
  });
}

for (const kind of engineKinds()) {
  for (const via of ['local', 'server'] as const) {
    describe(`escrow blacklist (${kind}, ${via})`, () => {
      let s: BlacklistServer;
      let backend: BlacklistBackend;
      before(async () => {
        s = await blacklistServer(kind);
        backend = via === 'local' ? localBlacklistBackend((run) => run(s.service), CLI_ACTOR) : viaServer(s);
      });
      after(() => s.close());

      const entries = async () =>
        (await s.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM blacklist_entries')).rows[0]!.n;
      const audits = async () =>
        (
          await s.testDb.db.query<{ actor_id: string; action: string; reason: string }>(
            `SELECT actor_id, action, details ->> 'reason' AS reason FROM audit_logs ORDER BY id`,
          )
        ).rows;

      it('add: a line (or --json), audited as the CLI operator; a dry run stores nothing; a second is refused', async () => {
        const dry = await cli(backend, [
          'add',
          ...['--kind', 'WALLET', '--value', WALLET, '--reason', 'OFAC SDN match', '--source', 'OFAC', '--dry-run'],
        ]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          /^dry run, nothing stored: would add WALLET 0xdeadbeef0+1 \(entry [0-9a-f-]{36}; OFAC: /,
        );
        assert.equal(await entries(), 0);
        assert.equal((await audits()).length, 0);

        const run = await cli(backend, [
          'add',
          ...['--kind', 'WALLET', '--value', WALLET, '--reason', 'OFAC SDN match', '--source', 'OFAC', '--json'],
        ]);
        assert.equal(run.code, 0, run.stderr);
        const change = JSON.parse(run.stdout) as BlacklistChange;
        assert.equal(change.dryRun, false);
        assert.equal(change.entry.value, WALLET.toLowerCase());
        assert.equal(change.entry.createdBy, CLI_ACTOR.id);
        assert.deepEqual(await audits(), [
          { actor_id: CLI_ACTOR.id, action: 'BlacklistEntryAdded', reason: 'OFAC SDN match' },
        ]);

        const again = await cli(backend, ['add', '--kind', 'WALLET', '--value', WALLET, '--reason', 'again']);
        assert.equal(again.code, 1);
        assert.match(again.stderr, new RegExp(`^BLACKLIST_ENTRY_EXISTS: .*entry ${change.entry.id}`));
        assert.equal(again.stdout, '');

        const user = await cli(backend, [
          'add',
          ...['--kind', 'USER', '--value', 'buyer-9', '--reason', 'fraud', '--expires-at', '2099-01-01T00:00:00Z'],
        ]);
        assert.equal(user.code, 0, user.stderr);
        assert.match(user.stdout, /^added USER buyer-9 \(entry .*; MANUAL: fraud; until 2099-01-01T00:00:00.000Z\)\n$/);
        assert.equal(await entries(), 2);
      });

      it('bad values are refused by the service (exit 1, the field named); bad usage is exit 2', async () => {
        const bad = await cli(backend, ['add', '--kind', 'USER', '--value', 'has space', '--reason', 'r']);
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /VALIDATION_ERROR: value: must be 1-128/);
        const past = await cli(backend, [
          'add',
          ...['--kind', 'USER', '--value', 'u-1', '--reason', 'r', '--expires-at', '2020-01-01T00:00:00Z'],
        ]);
        assert.equal(past.code, 1);
        assert.match(past.stderr, /expiresAt: must be in the future/);
        for (const args of [
          ['add', '--kind', 'EMAIL', '--value', 'a', '--reason', 'r'],
          ['add', '--kind', 'USER', '--value', 'a'],
          ['add', '--value', 'a', '--reason', 'r'],
          ['add', '--kind', 'USER', '--value', 'a', '--reason', '  '],
          ['remove', 'not-a-uuid', '--reason', 'r'],
          ['remove', '0190f0c8-0000-7000-8000-000000000001'],
          ['list', '--limit', '101'],
          ['list', '--kind', 'EMAIL'],
        ]) {
          const run = await cli(backend, args);
          assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
          assert.equal(run.stdout, '');
        }
        assert.equal(await entries(), 2, 'nothing stored');
      });

      it('list shows entries in force; remove keeps the entry (list --all shows it REMOVED); removing twice is refused', async () => {
        const listed = await cli(backend, ['list', '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const page = JSON.parse(listed.stdout) as BlacklistPage;
        assert.deepEqual(
          page.data.map((e) => e.value),
          ['buyer-9', WALLET.toLowerCase()],
        );
        const wallet = page.data[1]!;
        const walletsOnly = await cli(backend, ['list', '--kind', 'WALLET']);
        assert.match(walletsOnly.stdout, /^ACTIVE WALLET 0xdeadbeef0+1 \(entry .*\), added .* by cli:tester\n$/);

        const dry = await cli(backend, ['remove', wallet.id, '--reason', 'false positive', '--dry-run']);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(
          dry.stdout,
          /^dry run, nothing changed: would remove WALLET .*; removal reason: false positive\n$/,
        );
        const removed = await cli(backend, ['remove', wallet.id, '--reason', 'false positive']);
        assert.equal(removed.code, 0, removed.stderr);
        assert.match(removed.stdout, /^removed WALLET 0xdeadbeef0+1 /);
        assert.deepEqual((await audits()).at(-1), {
          actor_id: CLI_ACTOR.id,
          action: 'BlacklistEntryRemoved',
          reason: 'false positive',
        });
        const twice = await cli(backend, ['remove', wallet.id, '--reason', 'again']);
        assert.equal(twice.code, 1);
        assert.match(twice.stderr, /^BLACKLIST_ENTRY_NOT_FOUND: .*already removed/);

        const active = await cli(backend, ['list']);
        assert.doesNotMatch(active.stdout, /WALLET/);
        const all = await cli(backend, ['list', '--all']);
        assert.match(all.stdout, /^REMOVED .* by cli:tester \(false positive\) WALLET 0xdeadbeef/m);
        assert.match(all.stdout, /^ACTIVE USER buyer-9/m);
        const paged = await cli(backend, ['list', '--all', '--limit', '1']);
        assert.match(paged.stdout, /\nmore: the same command with --cursor \S+\n$/);
        assert.equal(await entries(), 2, 'removing keeps the row');
      });
    });
  }
}
