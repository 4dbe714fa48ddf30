import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { decodeJwt } from 'jose';
import { DomainError } from '../domain/index.js';
import { VERSION } from '../main.js';
import { createContext } from './context.js';
import { exitCodeFor } from './exitCodes.js';
import { toJson, type Io } from './output.js';
import { createProgram, runCli } from './program.js';

/** The CLI in this process, on buffers: only what stops before opening a database or a broker. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = buffers();
  const code = await runCli(args, io, { DATA_DIR: '/nonexistent/escrow-cli-unit', ...env });
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function buffers(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

const SECRET = 'unit-test-secret-'.padEnd(64, 'x');

/** A usage error: exit 2, what was wrong and the command's usage on stderr, nothing on stdout. */
function assertUsageError(run: Awaited<ReturnType<typeof cli>>, what: RegExp, usage: string) {
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, what);
  assert.ok(run.stderr.includes(`Usage: ${usage}`), run.stderr);
  assert.equal(run.stdout, '');
}

const leaves = (cmd: Command, path: string[] = []): string[][] =>
  cmd.commands.length === 0
    ? [path]
    : cmd.commands.filter((c) => c.name() !== 'help').flatMap((c) => leaves(c, [...path, c.name()]));

describe('escrow CLI: help and usage errors (in process)', () => {
  it('--help lists every command with examples and the exit codes, on stdout, exit 0', async () => {
    const run = await cli(['--help']);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^Usage: escrow \[options\] \[command\]/);
    assert.match(run.stdout, /outbox status\|dlq\|replay\|skip/);
    assert.match(run.stdout, /suspense list\|refund\|apply/);
    assert.match(run.stdout, /\$ escrow verify/);
    assert.match(run.stdout, /Exit codes: 0 success, 1 failure or violations, 2 usage error\./);
  });

  it("every command's --help has a description, examples and exit codes", async () => {
    const commands = leaves(createProgram(createContext(buffers(), {})));
    assert.equal(new Set(commands.map((c) => c.join(' '))).size, commands.length, JSON.stringify(commands));
    const wiredCommands = ['outbox skip', 'blacklist add', 'blacklist remove', 'blacklist list', 'disputes'];
    for (const wired of [...wiredCommands, 'vault rotate', 'pause', 'resume', 'health', 'check']) {
      assert.ok(
        commands.some((c) => c.join(' ') === wired),
        wired,
      );
    }
    for (const path of commands) {
      const run = await cli([...path, '--help']);
      assert.equal(run.code, 0, path.join(' '));
      assert.ok(run.stdout.startsWith(`Usage: escrow ${path.join(' ')} `), run.stdout);
      assert.match(run.stdout, /Examples:\n {2}\$ (\w+=\S+ )?escrow /, path.join(' '));
      assert.match(run.stdout, /Exit codes: 0 success, 1 .*, 2 usage error\./, path.join(' '));
      const printsData = !['serve', 'token'].includes(path[0] ?? '');
      assert.equal(run.stdout.includes('--json'), printsData, `${path.join(' ')}: --json`);
    }
  });

  it('help <command> and --version exit 0', async () => {
    // (commander's help exits with process.exitCode, which node:test sets to 1 once any test has failed)
    const help = await cli(['help', 'outbox']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: escrow outbox/);
    const version = await cli(['--version']);
    assert.deepEqual(version, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('unknown or missing commands and unknown options exit 2 with the usage', async () => {
    assertUsageError(await cli(['frobnicate']), /^error: unknown command frobnicate\n/, 'escrow [options] [command]');
    assertUsageError(await cli([]), /^error: missing command \(one of migrate, serve, /, 'escrow [options]');
    assertUsageError(await cli(['outbox', 'bogus']), /^error: unknown command bogus/, 'escrow outbox [options]');
    assertUsageError(await cli(['outbox']), /missing command \(one of status, dlq, replay, skip\)/, 'escrow outbox');
    assertUsageError(await cli(['kafka']), /missing command \(one of create-topics, lag\)/, 'escrow kafka');
    assertUsageError(await cli(['vault']), /missing command \(one of rotate\)/, 'escrow vault');
    assertUsageError(await cli(['blacklist']), /missing command \(one of add, remove, list\)/, 'escrow blacklist');
    assertUsageError(await cli(['verify', '--bogus']), /unknown option '--bogus'/, 'escrow verify');
    assertUsageError(await cli(['verify', 'extra']), /too many arguments/, 'escrow verify');
    assertUsageError(await cli(['sandbox', 'pay']), /missing required argument/, 'escrow sandbox pay');
  });

  it("the usage after an error leaves out the command's examples", async () => {
    const run = await cli(['outbox', 'dlq', '--limit', '0']);
    assert.doesNotMatch(run.stderr, /Examples:/);
  });

  it('token: bad roles, tiers and time spans are usage errors', async () => {
    const env = { JWT_SECRET: SECRET };
    assertUsageError(
      await cli(['token', '--sub', 'a', '--role', 'nope'], env),
      /Allowed choices are user, service, admin/,
      'escrow token',
    );
    assertUsageError(await cli(['token', '--role', 'user'], env), /required option '--sub <id>'/, 'escrow token');
    assertUsageError(await cli(['token', '--sub', 'a'], env), /required option '--role <role>'/, 'escrow token');
    assertUsageError(
      await cli(['token', '--sub', 'a', '--role', 'user', '--kyc-tier', '1.5'], env),
      /--kyc-tier must be an integer/,
      'escrow token',
    );
    assertUsageError(
      await cli(['token', '--sub', 'a', '--role', 'user', '--ttl', 'forever'], env),
      /--ttl takes a time span/,
      'escrow token',
    );
    assertUsageError(
      await cli(['token', '--sub', 'a', '--role', 'user', '--ttl', '48h'], env),
      /--ttl 48h is longer than JWT_MAX_LIFETIME_HOURS allows \(24 h\)/,
      'escrow token',
    );
    const jwks = { DATABASE_URL: 'postgres://db/escrow', JWT_JWKS_URL: 'https://idp.example/jwks.json' };
    assertUsageError(
      await cli(['token', '--sub', 'a', '--role', 'user'], jwks),
      /JWT_SECRET is not set/,
      'escrow token',
    );
  });

  it('token mints a JWT with the claims asked for, on one line', async () => {
    const run = await cli(['token', '--sub', 'buyer-1', '--role', 'user', '--kyc-tier', '2', '--ttl', '1h'], {
      JWT_SECRET: SECRET,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const claims = decodeJwt(run.stdout.trim());
    assert.deepEqual([claims.sub, claims.role, claims.kyc_tier], ['buyer-1', 'user', 2]);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600);
  });

  it('outbox dlq, replay and skip, suspense list, serve and kafka check their arguments before opening anything', async () => {
    for (const limit of ['0', '-3', '2.5', 'ten']) {
      assertUsageError(
        await cli(['outbox', 'dlq', '--limit', limit]),
        /--limit must be a positive integer/,
        'escrow outbox dlq',
      );
    }
    const replay = 'escrow outbox replay';
    assertUsageError(await cli(['outbox', 'replay']), /choose one of --all, --id N/, replay);
    assertUsageError(await cli(['outbox', 'replay', '--id', 'x']), /--id takes outbox row ids/, replay);
    assertUsageError(await cli(['outbox', 'replay', '--id', '1', '--id', '2x']), /--id takes outbox row ids/, replay);
    assertUsageError(await cli(['outbox', 'replay', '--escrow', 'e-1']), /--escrow takes an escrow id/, replay);
    assertUsageError(await cli(['outbox', 'replay', '--all', '--id', '1']), /'--all' cannot be used with/, replay);
    const skip = 'escrow outbox skip';
    assertUsageError(await cli(['outbox', 'skip', '--reason', 'x']), /required option '--id <n>'/, skip);
    assertUsageError(await cli(['outbox', 'skip', '--id', '42']), /required option '--reason <text>'/, skip);
    assertUsageError(await cli(['outbox', 'skip', '--id', '4x', '--reason', 'x']), /--id takes an outbox row id/, skip);
    assertUsageError(await cli(['outbox', 'skip', '--id', '42', '--reason', ' ']), /--reason takes 1 to 500/, skip);
    for (const limit of ['0', '51', 'ten']) {
      assertUsageError(
        await cli(['suspense', 'list', '--limit', limit]),
        /--limit takes 1 to 50/,
        'escrow suspense list',
      );
    }
    assertUsageError(
      await cli(['serve', '--roles', 'api,nope']),
      /unknown role\(s\) nope; available: api/,
      'escrow serve',
    );
    for (const limit of ['0', '101', 'ten']) {
      assertUsageError(await cli(['disputes', '--limit', limit]), /--limit takes 1 to 100/, 'escrow disputes');
    }
    assertUsageError(await cli(['vault', 'rotate']), /required option '--reason <text>'/, 'escrow vault rotate');
    assertUsageError(await cli(['vault', 'rotate', '--reason', ' ']), /--reason takes 1 to 500/, 'escrow vault rotate');
    assertUsageError(await cli(['kafka', 'lag']), /KAFKA_BROKERS is not set/, 'escrow kafka lag');
    assertUsageError(await cli(['kafka', 'create-topics']), /KAFKA_BROKERS is not set/, 'escrow kafka create-topics');
  });
});

describe('escrow CLI: errors and output', () => {
  it('a bad configuration exits 1 with its message only', async () => {
    const run = await cli(['verify'], { ESCROW_PAYMENT_DEADLINE_DAYS: 'abc' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Invalid configuration/);
    assert.match(run.stderr, /ESCROW_PAYMENT_DEADLINE_DAYS/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack');
    assert.equal(run.stdout, '');
  });

  it('a domain error is CODE: message, anything else its stack; both exit 1', () => {
    const io = buffers();
    assert.equal(exitCodeFor(new DomainError('ESCROW_NOT_FOUND', 'no escrow e-1'), io), 1);
    assert.equal(io.stderr, 'ESCROW_NOT_FOUND: no escrow e-1\n');
    const other = buffers();
    assert.equal(exitCodeFor(new Error('boom'), other), 1);
    assert.match(other.stderr, /^Error: boom\n\s+at /);
  });

  it('JSON is pretty-printed with bigints as digit strings', () => {
    assert.equal(
      toJson({ minor: 12345678901234567890n, list: [1n] }),
      '{\n  "minor": "12345678901234567890",\n  "list": [\n    "1"\n  ]\n}\n',
    );
  });
});
