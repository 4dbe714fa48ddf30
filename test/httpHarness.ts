import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { mintToken, type ApiRole } from '../src/http/auth.js';
import { createEngine, type Engine, type RoleName } from '../src/main.js';
import { FakeClock, freshDatabase, type EngineKind, type TestDb } from './harness.js';

export const TEST_JWT_SECRET = 'test-secret-'.padEnd(80, 'x');

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface TestServer {
  engine: Engine;
  clock: FakeClock;
  testDb: TestDb;
  baseUrl: string;
  /** The configuration variables the server was given (beyond the harness's own). */
  env: Record<string, string>;
  /** A token for `sub` with `role` (HS256, the server's secret). */
  token(sub: string, role: ApiRole, opts?: { kycTier?: number; ttl?: string; secret?: string }): Promise<string>;
  /** fetch() against the server; a JSON body is sent as JSON, a string as is. */
  call<T = Record<string, unknown>>(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

/**
 * A fake clock shared with role processes: each step is sent to them, and `synced()` resolves once all of them
 * applied every step so far (the harness waits for it before each request).
 */
export class SharedClock extends FakeClock {
  private readonly children = new Set<ChildProcess>();
  private readonly pending = new Map<number, () => void>();
  private seq = 0;
  private acks: Promise<void>[] = [];

  attach(child: ChildProcess): void {
    this.children.add(child);
    child.on('message', (m: { ack?: number }) => {
      if (m.ack !== undefined) this.pending.get(m.ack)?.();
      this.pending.delete(m.ack ?? -1);
    });
    child.once('exit', () => this.children.delete(child));
  }

  override advance(ms: number): void {
    super.advance(ms);
    for (const child of this.children) {
      const seq = ++this.seq;
      const acked = new Promise<void>((resolve) => this.pending.set(seq, resolve));
      this.acks.push(acked);
      child.send({ advance: ms, seq });
    }
  }

  async synced(): Promise<void> {
    const acks = this.acks;
    this.acks = [];
    await Promise.all(acks);
  }
}

const ROLE_CHILD = fileURLToPath(new URL('./roleChild.ts', import.meta.url));

/** Starts `roles` in a process of their own on the test's database (PostgreSQL) and clock; resolves when started. */
async function forkRoles(
  roles: RoleName[],
  env: Record<string, string>,
  testDb: TestDb,
  clock: SharedClock,
): Promise<ChildProcess> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url || !testDb.schema) throw new Error('separate role processes need PostgreSQL (TEST_DATABASE_URL)');
  const child = fork(ROLE_CHILD, [roles.join(',')], {
    execArgv: ['--import', 'tsx'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'test',
      DATABASE_URL: url,
      DATABASE_SCHEMA: testDb.schema,
      JWT_SECRET: TEST_JWT_SECRET,
      TEST_CLOCK_START: clock.now().toISOString(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean).slice(-50));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  clock.attach(child);
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { ready?: boolean }) => m.ready && resolve());
    child.once('exit', (code, signal) =>
      reject(new Error(`role process ${roles.join(',')} exited (${code ?? signal}):\n${output.slice(-30).join('\n')}`)),
    );
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/**
 * A listening server (real HTTP on a free port, real JWTs) over a fresh database with a fake clock.
 *
 * With KAFKA_BROKERS in `env` and no `roles` given, this is Kafka mode as deployed: the API runs here, and the worker
 * and the outbox publisher each run in a process of their own (on PostgreSQL, sharing the test's fake clock).
 */
export async function testServer(
  kind: EngineKind,
  env: Record<string, string> = {},
  roles?: RoleName[],
  opts: { logger?: Logger; testDb?: TestDb } = {},
): Promise<TestServer> {
  const clock = new SharedClock(new Date().toISOString());
  const testDb = opts.testDb ?? (await freshDatabase(kind));
  const separate: RoleName[][] = env.KAFKA_BROKERS && !roles ? [['worker'], ['outbox']] : [];
  const children: ChildProcess[] = [];
  try {
    for (const r of separate) children.push(await forkRoles(r, env, testDb, clock));
  } catch (err) {
    await Promise.all(children.map(stopChild));
    await testDb.drop();
    throw err;
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000',
    RATE_LIMIT_PER_USER_PER_MINUTE: '100000',
    ...env,
  });
  const engine = await createEngine(config, {
    db: testDb.db,
    clock,
    logger: opts.logger ?? pino({ level: 'silent' }),
    migrate: false,
  });
  const { port } = await engine.start(roles ?? ['api']);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    engine,
    clock,
    testDb,
    baseUrl,
    env,
    token: (sub, role, opts = {}) =>
      mintToken(
        opts.secret ?? TEST_JWT_SECRET,
        { sub, role, ...(opts.kycTier !== undefined ? { kycTier: opts.kycTier } : {}) },
        opts.ttl ?? '1h',
      ),
    async call(method, path, opts = {}) {
      await clock.synced();
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(baseUrl + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, headers: res.headers, body: parsed as never, text };
    },
    async close() {
      await Promise.all(children.map(stopChild));
      await engine.stop();
      await testDb.drop();
    },
  };
}
