import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromChild, Method, ToChild } from './child.js';
import type { BenchServer, ServerCheck, ServerSettings, ServerStats, Unfinished } from './server.js';

/**
 * The API in a child node process (child.ts), driven over IPC: the load generator and the server then have an event
 * loop each, as a client and a server have in production. The child inherits the tsx loader through execArgv.
 */
export async function spawnBenchServer(settings: ServerSettings): Promise<BenchServer> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited = false;

  const ready = new Promise<{ port: number; schema: string; pid: number }>((resolve, reject) => {
    child.on('message', (m: FromChild) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'failed') reject(new Error(`the API process failed to start:\n${m.error}`));
      else {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(`API process: ${m.error}`));
        else p?.resolve(m.value);
      }
    });
    child.on('exit', (code, signal) => {
      exited = true;
      const err = new Error(`the API process exited (code ${code}, signal ${signal})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  });
  child.send({ type: 'start', settings } satisfies ToChild);
  const { port, schema, pid } = await ready;

  const call = <T>(method: Method, ...args: number[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('the API process has exited'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'call', id, method, args } satisfies ToChild);
    });

  return {
    port,
    schema,
    pid,
    startRecording: () => call<void>('startRecording'),
    stopRecording: () => call<ServerStats>('stopRecording'),
    quiesce: (quietMs, maxMs) => call<void>('quiesce', quietMs, maxMs),
    unfinished: () => call<Unfinished[]>('unfinished'),
    settled: (maxMs) => call<number>('settled', maxMs),
    check: () => call<ServerCheck>('check'),
    async close() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call<void>('close');
      child.disconnect();
      await gone;
    },
  };
}
