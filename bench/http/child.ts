/**
 * The API process of the HTTP bench, forked by remote.ts: the `api` and `settlements` roles on a throwaway schema,
 * answering the bench's calls (recording windows, checks, shutdown) over the IPC channel.
 */
import { startBenchServer, type BenchServer, type ServerSettings } from './server.js';

export type Method = 'startRecording' | 'stopRecording' | 'quiesce' | 'unfinished' | 'settled' | 'check' | 'close';

export type ToChild =
  { type: 'start'; settings: ServerSettings } | { type: 'call'; id: number; method: Method; args: number[] };

export type FromChild =
  | { type: 'ready'; port: number; schema: string; pid: number }
  | { type: 'failed'; error: string }
  | { type: 'result'; id: number; value?: unknown; error?: string };

const send = (m: FromChild) => process.send?.(m);
const message = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

let server: BenchServer | null = null;
let closing: Promise<void> | null = null;
const close = () => (closing ??= server ? server.close() : Promise.resolve());

async function call(method: Method, args: number[]): Promise<unknown> {
  if (!server) throw new Error('the server is not started');
  switch (method) {
    case 'startRecording':
      return server.startRecording();
    case 'stopRecording':
      return server.stopRecording();
    case 'quiesce':
      return server.quiesce(args[0]!, args[1]!);
    case 'unfinished':
      return server.unfinished();
    case 'settled':
      return server.settled(args[0]!);
    case 'check':
      return server.check();
    case 'close':
      return close();
  }
}

process.on('message', (m: ToChild) => {
  if (m.type === 'start') {
    startBenchServer(m.settings).then(
      (s) => {
        server = s;
        send({ type: 'ready', port: s.port, schema: s.schema, pid: process.pid });
      },
      (err: unknown) => send({ type: 'failed', error: message(err) }),
    );
    return;
  }
  call(m.method, m.args).then(
    (value) => send({ type: 'result', id: m.id, value }),
    (err: unknown) => send({ type: 'result', id: m.id, error: message(err) }),
  );
});

// Ctrl-C reaches the whole process group: the parent decides when to stop, and drops the schema through `close`.
process.on('SIGINT', () => undefined);
// The parent went away without closing: drop the schema anyway, then leave.
process.on('disconnect', () => {
  close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
