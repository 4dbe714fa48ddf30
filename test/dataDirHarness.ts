import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// The server and the CLI as child processes on one embedded data directory (dataDir*.e2e tests).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHILD_TIMEOUT_MS = 120_000;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment a child gets: only what node needs, plus `env` (never the test run's DATABASE_URL). */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR']) {
    const v = process.env[k];
    if (v !== undefined) base[k] = v;
  }
  return { ...base, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env };
}

const CLI = ['--import', 'tsx', 'src/cli/index.ts'];

export function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CHILD_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

export interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** `escrow serve` in a child process (through `script` for a terminal), resolved once it listens. */
export function serve(env: Record<string, string>, opts: { tty?: boolean } = {}): Promise<Server> {
  const command = [process.execPath, ...CLI, 'serve'];
  const child = opts.tty
    ? spawn('script', ['-qefc', command.join(' '), '/dev/null'], { cwd: ROOT, env: childEnv(env), detached: true })
    : spawn(command[0]!, command.slice(1), { cwd: ROOT, env: childEnv(env), detached: true });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen:\n${out}`)), CHILD_TIMEOUT_MS);
    const check = () => {
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m && /API docs/.test(out)) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve({ child, port: Number(m[1]), output: () => out, exited });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${out}`));
    });
  });
}

/** Stops a server (the whole process group: `script` and the node under it) and waits for it to exit. */
export async function stop(server: Server | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  try {
    process.kill(-server.child.pid!, signal);
  } catch {
    return;
  }
  await server.exited;
}

export const json = <T>(run: Run): T => {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
};
