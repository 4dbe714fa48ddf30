import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/index.ts', import.meta.url));

/**
 * Engine roles as processes of their own, as production runs them (`escrow serve --roles ...`): used by the Kafka
 * benches and by the tests that kill and restart roles.
 */
export interface RoleProcess {
  readonly name: string;
  child: ChildProcess;
  /** Everything it printed (JSON log lines). */
  output: string[];
  /** SIGKILL: no shutdown hook runs. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** `escrow serve --roles <roles>` as a child process; resolves once it logged "escrow engine started". */
export function startRoles(name: string, roles: string, env: Record<string, string>): Promise<RoleProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--roles', roles], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: RoleProcess = {
    name,
    child,
    output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (output.length > 2000) output.shift();
        if (line.includes('escrow engine started')) resolve(proc);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${code ?? signal}) before it started:\n${output.slice(-30).join('\n')}`)),
    );
  });
}
