import { pino } from 'pino';
import { loadConfig } from '../src/config.js';
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

/** A listening server (real HTTP on a free port, real JWTs) over a fresh database with a fake clock. */
export async function testServer(
  kind: EngineKind,
  env: Record<string, string> = {},
  roles: RoleName[] = env.KAFKA_BROKERS ? ['api', 'worker'] : ['api'],
): Promise<TestServer> {
  const clock = new FakeClock(new Date().toISOString());
  const testDb = await freshDatabase(kind);
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
    logger: pino({ level: 'silent' }),
    migrate: false,
  });
  const { port } = await engine.start(roles);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    engine,
    clock,
    testDb,
    baseUrl,
    token: (sub, role, opts = {}) =>
      mintToken(
        opts.secret ?? TEST_JWT_SECRET,
        { sub, role, ...(opts.kycTier !== undefined ? { kycTier: opts.kycTier } : {}) },
        opts.ttl ?? '1h',
      ),
    async call(method, path, opts = {}) {
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
      await engine.stop();
      await testDb.drop();
    },
  };
}
