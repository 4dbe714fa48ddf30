/**
 * A PostgreSQL 15 server of the test's own (initdb + pg_ctl in a temporary directory, on a free port), for tests that
 * stop, restart or break the database: the shared server at TEST_DATABASE_URL is everyone's and is never touched.
 * As root the binaries run as the `postgres` user (PostgreSQL refuses to run as root).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './processHarness.js';

const run = promisify(execFile);
const BIN = process.env.TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const isRoot = userInfo().uid === 0;

/** Why a private server cannot be started here (the tests that need one skip with it), or null. */
export function privatePostgresUnavailable(): string | null {
  if (!existsSync(join(BIN, 'initdb')) || !existsSync(join(BIN, 'pg_ctl'))) {
    return `PostgreSQL 15 binaries not found in ${BIN} (set TEST_PG_BIN)`;
  }
  if (isRoot && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) {
    return 'running as root without runuser to start PostgreSQL as the postgres user';
  }
  return null;
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP to every server process: connections stay open and nothing answers (a hung server, a partition). */
  freeze(): Promise<void>;
  /** SIGCONT: the frozen server answers again. */
  thaw(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

async function asPostgres(cmd: string, args: string[]): Promise<void> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  await run(file, argv, { timeout: 60_000 });
}

/** Sends `signal` to the postmaster (first line of postmaster.pid) and each of its children. */
async function signalServer(data: string, signal: NodeJS.Signals): Promise<void> {
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(postmaster)]);
  const children = stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((pid) => pid > 0);
  for (const pid of [postmaster, ...children]) process.kill(pid, signal);
}

/** initdb and start a throwaway server; resolves once it accepts connections. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'escrow-pg-'));
  const data = join(dir, 'data');
  if (isRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const port = await freePort();
  await asPostgres(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const ctl = (action: string, extra: string[] = []) =>
    asPostgres(join(BIN, 'pg_ctl'), [action, '-D', data, '-w', '-t', '60', ...extra]);
  const start = () => ctl('start', ['-o', opts, '-l', join(dir, 'server.log')]);
  const stop = () => ctl('stop', ['-m', 'fast']);
  await start();
  let running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await start();
      running = true;
    },
    async stop() {
      await stop();
      running = false;
    },
    freeze: () => signalServer(data, 'SIGSTOP'),
    thaw: () => signalServer(data, 'SIGCONT'),
    async destroy() {
      if (running) {
        await signalServer(data, 'SIGCONT').catch(() => undefined);
        await stop().catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
