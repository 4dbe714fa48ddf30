import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { mintToken } from '../src/http/auth.js';
import { createEngine, type Engine } from '../src/main.js';
import { assertDatabaseVerifies } from './harness.js';
import { TEST_JWT_SECRET, testServer, type TestServer } from './httpHarness.js';
import { suite, type Service } from './services.js';

/** The per-user window is a calendar minute: start well inside one so a test's requests share it. */
async function insideOneMinute(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
}

const stores: [string, Record<string, string>, Service[]][] = [
  ['in-process counters', {}, []],
  ['Redis counters', { REDIS_URL: process.env.TEST_REDIS_URL ?? '' }, ['redis']],
];

for (const [name, env, needs] of stores) {
  suite(`rate limits with ${name}`, needs, () => {
    let s: TestServer;
    before(async () => {
      s = await testServer('pglite', {
        ...env,
        RATE_LIMIT_PER_USER_PER_MINUTE: '3',
        RATE_LIMIT_SERVICE_PER_MINUTE: '6',
        RATE_LIMIT_ADMIN_PER_MINUTE: '5',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000',
      });
    });
    after(async () => {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    });

    it('answers 429 with Retry-After past the per-user limit on escrow routes, per user', async () => {
      await insideOneMinute();
      const user = `rl-user-${Date.now()}`;
      const token = await s.token(user, 'user');
      const statuses: number[] = [];
      let last: Awaited<ReturnType<TestServer['call']>> | null = null;
      for (let i = 0; i < 4; i++) {
        last = await s.call('GET', '/api/escrow', { token });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.equal(last?.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal((last?.body as { code: string }).code, 'RATE_LIMITED');
      const retry = Number(last?.headers.get('retry-after'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
      const other = await s.call('GET', '/api/escrow', { token: await s.token(`${user}-other`, 'user') });
      assert.equal(other.status, 200, 'another user has their own budget');
    });

    it('service and admin callers have quotas of their own (RATE_LIMIT_SERVICE/ADMIN_PER_MINUTE), not 50 a minute', async () => {
      await insideOneMinute();
      const run = async (token: string, n: number) => {
        const statuses: number[] = [];
        for (let i = 0; i < n; i++) statuses.push((await s.call('GET', '/api/escrow', { token })).status);
        return statuses;
      };
      const service = await s.token(`rl-service-${Date.now()}`, 'service');
      assert.deepEqual(await run(service, 7), [200, 200, 200, 200, 200, 200, 429], 'a service caller: 6 a minute');
      const admin = await s.token(`rl-admin-${Date.now()}`, 'admin');
      assert.deepEqual(await run(admin, 6), [200, 200, 200, 200, 200, 429], 'an admin: 5 a minute');
      const busy = await s.call('GET', '/api/escrow', { token: service });
      assert.match((busy.body as { detail: string }).detail, /service/);
    });
  });
}

describe('per-IP rate limit', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { RATE_LIMIT_PER_IP_PER_MINUTE: '5', RATE_LIMIT_SERVICE_PER_MINUTE: '100' });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('answers 429 with Retry-After past 5 requests a minute from one IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await s.call('GET', '/openapi.json')).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  });

  it('provider webhooks, /health* and /metrics are not throttled by it', async () => {
    // the address's budget is spent (the case above); these still answer
    assert.equal((await s.call('GET', '/openapi.json')).status, 429);
    for (let i = 0; i < 8; i++) {
      for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) {
        const res = await s.call('GET', path);
        assert.notEqual(res.status, 429, `${path}: ${res.text}`);
      }
      const hook = await s.call('POST', '/api/webhooks/sandbox', { body: { id: 'evt_x' } });
      assert.notEqual(hook.status, 429, hook.text);
      assert.match(hook.text, /signature/i, 'a webhook reaches its signature check');
    }
  });

  it('a service caller counts in its own bucket, not the shared address’s', async () => {
    const service = await s.token(`rl-ip-service-${Date.now()}`, 'service');
    for (let i = 0; i < 10; i++) {
      const res = await s.call('GET', '/api/escrow', { token: service });
      assert.equal(res.status, 200, res.text);
    }
  });
});

describe('a forged service token', () => {
  let s: TestServer;
  before(async () => {
    s = await testServer('pglite', { RATE_LIMIT_PER_IP_PER_MINUTE: '2' });
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(s.engine);
    } finally {
      await s.close();
    }
  });

  it('stays in its address’s bucket: only a verified token has a bucket of its own', async () => {
    const forged = await s.token('forger', 'service', { secret: 'another-secret-'.padEnd(80, 'y') });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await s.call('GET', '/api/escrow', { token: forged })).status);
    assert.deepEqual(statuses, [401, 401, 429]);
  });
});

describe('TRUST_PROXY', () => {
  const servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) {
      try {
        await assertDatabaseVerifies(s.engine);
      } finally {
        await s.close();
      }
    }
  });
  const start = async (trust: string | undefined) => {
    const s = await testServer('pglite', {
      RATE_LIMIT_PER_IP_PER_MINUTE: '2',
      ...(trust === undefined ? {} : { TRUST_PROXY: trust }),
    });
    servers.push(s);
    return s;
  };
  const from = (s: TestServer, ip: string) =>
    s.call('GET', '/openapi.json', { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);

  for (const trust of ['true', '1', '127.0.0.1', '127.0.0.0/8,::1']) {
    it(`TRUST_PROXY=${trust}: clients behind the proxy get a bucket each (X-Forwarded-For)`, async () => {
      const s = await start(trust);
      assert.deepEqual([await from(s, '203.0.113.1'), await from(s, '203.0.113.1')], [200, 200]);
      assert.equal(await from(s, '203.0.113.1'), 429, 'the first client spent its budget');
      assert.equal(await from(s, '203.0.113.2'), 200, 'another client behind the same proxy has its own');
    });
  }

  it('by default X-Forwarded-For is not believed (a client cannot pick its own bucket)', async () => {
    const s = await start(undefined);
    const statuses = [await from(s, '198.51.100.1'), await from(s, '198.51.100.2'), await from(s, '198.51.100.3')];
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  it('a TRUST_PROXY that is none of those is refused at start, naming the variable', () => {
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example.com', '-1']) {
      assert.throws(() => loadConfig({ NODE_ENV: 'test', TRUST_PROXY: bad }), /TRUST_PROXY/, bad);
    }
    assert.deepEqual(loadConfig({ NODE_ENV: 'test', TRUST_PROXY: '10.0.0.0/8, ::1' }).http.trustProxy, [
      '10.0.0.0/8',
      '::1',
    ]);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).http.trustProxy, false);
    assert.throws(
      () => loadConfig({ NODE_ENV: 'test', RATE_LIMIT_SERVICE_PER_MINUTE: '0' }),
      /RATE_LIMIT_SERVICE_PER_MINUTE/,
    );
  });
});

describe('a refused request is logged', () => {
  const lines: string[] = [];
  let engine: Engine;
  let base: string;
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: 'memory://',
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT_PER_IP_PER_MINUTE: '2',
      RATE_LIMIT_PER_USER_PER_MINUTE: '1',
    });
    engine = await createEngine(config, { logger: pino({ level: 'info' }, sink) });
    base = `http://127.0.0.1:${(await engine.start(['api'])).port}`;
  });
  after(async () => {
    try {
      await assertDatabaseVerifies(engine);
    } finally {
      await engine.stop();
    }
  });

  it('"Rate limit exceeded" with the bucket and the caller, never the token', async () => {
    await insideOneMinute();
    const token = await mintToken(TEST_JWT_SECRET, { sub: 'rl-logged-user', role: 'user' }, '1h');
    const get = (path: string, auth?: string) =>
      fetch(base + path, auth ? { headers: { authorization: `Bearer ${auth}` } } : {}).then((r) => r.status);
    assert.deepEqual([await get('/api/escrow', token), await get('/api/escrow', token)], [200, 429]);
    assert.equal(await get('/openapi.json'), 429, 'the address spent its 2');
    const refused = lines.filter((l) => l.includes('Rate limit exceeded')).map((l) => JSON.parse(l) as object);
    assert.ok(
      refused.some((l) => 'bucket' in l && l.bucket === 'user' && 'caller' in l && l.caller === 'rl-logged-user'),
      lines.join('\n'),
    );
    assert.ok(
      refused.some((l) => 'bucket' in l && l.bucket === 'ip' && 'caller' in l && l.caller === '127.0.0.1'),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => l.includes(token)), 'the token is never logged');
  });
});
