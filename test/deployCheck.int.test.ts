import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { loadMigrations, migrate } from '../src/adapters/db/migrate.js';
import { openPostgres } from '../src/adapters/db/postgres.js';
import type { Database } from '../src/adapters/db/database.js';
import { runCli } from '../src/cli/program.js';
import type { CheckItem, DeployCheckReport } from '../src/composition/deployCheck.js';
import { STRIPE_WEBHOOK_EVENTS } from '../src/composition/deployCheckRails.js';
import { dataDirCli } from './dataDirCli.js';
import { FakeCustodian } from './fakes/custodianServer.js';
import { PaystackServer } from './fakes/paystackServer.js';
import { FakeStripe } from './fakes/stripeServer.js';
import { freePort } from './processHarness.js';
import { suite } from './services.js';

// `escrow check --deploy`: the deployment guide's pre-deployment checklist and post-deployment verification, driven
// through the CLI against real services — PostgreSQL (a schema of this file's own), Redis, and the providers' fakes
// over real HTTP — from a passing setup to each broken one, every failure named with its next step and exit code 1.

const JWT = 'j'.repeat(64);

async function deploy(env: Record<string, string>, ...args: string[]) {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const code = await runCli(['check', '--deploy', ...args], io, { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  return { code, out, err };
}

async function report(env: Record<string, string>): Promise<{ code: number; r: DeployCheckReport }> {
  const res = await deploy(env, '--json');
  assert.equal(res.err, '', 'nothing on stderr');
  return { code: res.code, r: JSON.parse(res.out) as DeployCheckReport };
}

function item(r: DeployCheckReport, name: string): CheckItem {
  const found = r.items.find((i) => i.name === name);
  assert.ok(found, `an item ${name} among ${r.items.map((i) => i.name).join(', ')}`);
  return found;
}

/** [name, status] of every item that is neither a pass nor n/a. */
const problems = (r: DeployCheckReport) =>
  r.items.filter((i) => i.status === 'fail' || i.status === 'warn').map((i) => [i.name, i.status]);

suite('escrow check --deploy on PostgreSQL and Redis', ['postgres', 'redis'], () => {
  const url = process.env.TEST_DATABASE_URL!;
  let admin: Database;
  const schemas: string[] = [];
  /** A schema of its own, migrated with `migrations` (all of them unless told). */
  const schema = async (migrations = loadMigrations()) => {
    const name = `t_${randomBytes(6).toString('hex')}`;
    await admin.exec(`CREATE SCHEMA ${name}`);
    schemas.push(name);
    const db = await openPostgres({ url, poolSize: 1, connectionTimeoutMs: 10_000, schema: name });
    try {
      await migrate(db, migrations);
    } finally {
      await db.close();
    }
    return name;
  };
  const env = (s: string, over: Record<string, string> = {}) => ({
    DATABASE_URL: url,
    DATABASE_SCHEMA: s,
    JWT_SECRET: JWT,
    REDIS_URL: process.env.TEST_REDIS_URL!,
    ...over,
  });
  before(async () => {
    admin = await openPostgres({ url, poolSize: 1, connectionTimeoutMs: 10_000 });
  });
  after(async () => {
    for (const s of schemas) await admin.exec(`DROP SCHEMA ${s} CASCADE`);
    await admin.close();
  });

  it('a migrated schema, Redis answering and the SANDBOX rail: every item passes or is n/a, exit 0', async () => {
    const s = await schema();
    const { code, r } = await report(env(s));
    assert.equal(code, 0, JSON.stringify(r.items));
    assert.deepEqual(problems(r), []);
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.items.map((i) => [i.name, i.status]),
      [
        ['database', 'pass'],
        ['migrations', 'pass'],
        ['kafka_topics', 'n/a'],
        ['rail:SANDBOX', 'pass'],
        ['redis', 'pass'],
      ],
    );
    assert.match(
      item(r, 'database').value,
      new RegExp(`^PostgreSQL 1[4-9][^,]*, schema ${s}, 9 core tables reachable`),
    );
    assert.equal(item(r, 'migrations').value, `${loadMigrations().length} applied, none pending`);
    assert.equal(item(r, 'redis').value, 'PING answered PONG');
    assert.deepEqual(r.counts, { pass: 4, warn: 0, fail: 0, 'n/a': 1 });
    // the table: the daily check's layout
    const text = await deploy(env(s));
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^STATUS\s+ITEM\s+VALUE$/m);
    assert.match(text.out, /^PASS\s+migrations\s+\d+ applied, none pending$/m);
    assert.match(text.out, /^N\/A\s+kafka_topics\s+KAFKA_BROKERS is not set/m);
    assert.match(text.out, /^5 items: 4 pass, 0 warn, 0 fail, 1 n\/a — OK$/m);
  });

  it('a schema migrated with all but the last migration fails `migrations`, naming it; escrow migrate fixes it', async () => {
    const all = loadMigrations();
    const last = all.at(-1)!.name;
    const s = await schema(all.slice(0, -1));
    const { code, r } = await report(env(s));
    assert.equal(code, 1);
    assert.equal(r.ok, false);
    assert.deepEqual(problems(r), [['migrations', 'fail']]);
    assert.equal(item(r, 'migrations').value, `1 pending: ${last}`);
    assert.equal(item(r, 'migrations').next, 'escrow migrate');
    assert.equal(item(r, 'database').status, 'pass', 'the core tables are there');
    const text = await deploy(env(s));
    assert.equal(text.code, 1);
    assert.match(text.out, new RegExp(`^FAIL\\s+migrations\\s+1 pending: ${last}\\n\\s+→ escrow migrate$`, 'm'));
    assert.match(text.out, /— FAILED$/m);
    // the check migrated nothing; the step it names does
    assert.equal((await report(env(s))).code, 1);
    let out = '';
    const migrated = await runCli(
      ['migrate'],
      { out: (t) => void (out += t), err: (t) => void (out += t) },
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        ...env(s),
      },
    );
    assert.equal(migrated, 0, out);
    assert.equal((await report(env(s))).code, 0);
  });

  it('a migration this release does not know is a warning (a rollback under expand/contract), exit 0', async () => {
    const s = await schema();
    await admin.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES (999, '999_from_the_future')`);
    const { code, r } = await report(env(s));
    assert.equal(code, 0);
    assert.deepEqual(problems(r), [['migrations', 'warn']]);
    assert.match(item(r, 'migrations').value, /1 not known to this release: 999_from_the_future \(a newer schema/);
  });

  it('an applied migration whose file changed since fails `migrations`, as escrow migrate --status does', async () => {
    const s = await schema();
    await admin.query(`UPDATE ${s}.schema_migrations SET checksum = 'edited' WHERE version = 1`);
    const { code, r } = await report(env(s));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['migrations', 'fail']]);
    assert.match(item(r, 'migrations').value, /^1 changed since applied \(checksum\): 001_schema$/);
  });

  it('a schema never migrated fails `database` (tables missing) and `migrations` (each one pending)', async () => {
    const s = await schema([]);
    const { code, r } = await report(env(s));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [
      ['database', 'fail'],
      ['migrations', 'fail'],
    ]);
    assert.match(item(r, 'database').value, /tables missing: escrows, escrow_events, outbox/);
    assert.equal(
      item(r, 'migrations').value,
      `${loadMigrations().length} pending: ${loadMigrations()
        .map((m) => m.name)
        .join(', ')}`,
    );
  });

  it('DATABASE_SCHEMA naming no schema fails `database`', async () => {
    const { code, r } = await report(env(`t_absent_${randomBytes(4).toString('hex')}`));
    assert.equal(code, 1);
    assert.match(item(r, 'database').value, /schema t_absent_\w+ does not exist/);
  });

  it('REDIS_URL at a closed port fails `redis` with the error; unreachable PostgreSQL fails `database`', async () => {
    const s = await schema();
    const port = await freePort();
    const { code, r } = await report(env(s, { REDIS_URL: `redis://127.0.0.1:${port}` }));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['redis', 'fail']]);
    assert.match(
      item(r, 'redis').value,
      new RegExp(`^Redis at redis://127.0.0.1:${port} does not answer: .*ECONNREFUSED`),
    );
    assert.match(item(r, 'redis').next!, /REDIS_URL/);
    const down = await report(env(s, { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/test` }));
    assert.equal(down.code, 1);
    assert.deepEqual(problems(down.r), [
      ['database', 'fail'],
      ['migrations', 'fail'],
    ]);
    assert.match(item(down.r, 'database').value, /ECONNREFUSED/);
  });

  it('a Redis that accepts connections and never answers fails `redis` within --timeout', async () => {
    const s = await schema();
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => void sockets.add(socket)); // accepts, reads, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const res = await deploy(env(s, { REDIS_URL: `redis://127.0.0.1:${port}` }), '--json', '--timeout', '0.5');
      assert.equal(res.code, 1);
      const r = JSON.parse(res.out) as DeployCheckReport;
      // only the item under test: on a loaded machine another one may also run out of its 0.5 s
      assert.equal(item(r, 'redis').status, 'fail');
      assert.match(item(r, 'redis').value, /no answer within 500 ms/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('escrow check --deploy on an embedded data directory', () => {
  let tmp: string;
  let env: Record<string, string>;
  const { withEngine } = dataDirCli(() => env);
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-deploy-check-'));
    env = { DATA_DIR: join(tmp, 'data') };
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('no data directory yet: `database` and `migrations` fail, and the check creates nothing', async () => {
    const { code, r } = await report(env);
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [
      ['database', 'fail'],
      ['migrations', 'fail'],
    ]);
    assert.match(item(r, 'database').value, /^no embedded database at /);
    assert.equal(item(r, 'migrations').next, 'escrow migrate');
    assert.equal(existsSync(env.DATA_DIR!), false);
  });

  it('a directory without a database (a volume, a jwt-secret alone) fails, and the check creates none in it', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'jwt-secret'), 'x'.repeat(64));
    const { code, r } = await report({ DATA_DIR: empty });
    assert.equal(code, 1);
    assert.match(item(r, 'database').value, /^no embedded database at /);
    assert.deepEqual(readdirSync(empty), ['jwt-secret'], 'nothing created');
  });

  it('a migrated directory passes with the note that production runs on PostgreSQL; the lock is released', async () => {
    await withEngine(() => Promise.resolve());
    const { code, r } = await report(env);
    assert.equal(code, 0, JSON.stringify(r.items));
    assert.equal(item(r, 'database').status, 'pass');
    assert.match(
      item(r, 'database').value,
      /^embedded PGlite \(PostgreSQL \S+ in process\), .*production runs on PostgreSQL 14\+/,
    );
    assert.equal(item(r, 'migrations').status, 'pass');
    await withEngine(() => Promise.resolve()); // opens again: the check closed the directory
  });
});

/** Restricted-key answers on /v1/balance (403) while set. */
let restricted = false;

/** Fake Stripe fronted by GET /v1/webhook_endpoints (the fake does not keep endpoints); the rest goes to the fake. */
async function stripeWithEndpoints(fake: FakeStripe, endpoints: () => unknown[]): Promise<Server> {
  const target = new URL(fake.url());
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/v1/balance') && restricted) {
      // a restricted key without Balance: read, as Stripe answers it
      res.writeHead(403, { 'content-type': 'application/json', 'request-id': 'req_front' });
      const message = 'The provided key does not have the required permissions for this endpoint (rak_balance_read)';
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', message } }));
      return;
    }
    if (req.method === 'GET' && req.url?.startsWith('/v1/webhook_endpoints')) {
      const authorised = req.headers.authorization === `Bearer ${fake.secretKey}`;
      res.writeHead(authorised ? 200 : 401, { 'content-type': 'application/json', 'request-id': 'req_front' });
      const list = { object: 'list', data: endpoints(), has_more: false, url: '/v1/webhook_endpoints' };
      const refused = { error: { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_****' } };
      res.end(JSON.stringify(authorised ? list : refused));
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

describe('escrow check --deploy: the rails against their providers (fakes over real HTTP)', () => {
  const API_URL = 'https://escrow.example.com';
  const stripe = new FakeStripe();
  const paystack = new PaystackServer({ secretKey: 'sk_test_deploycheck', balance: 5000 });
  const custodian = new FakeCustodian('custodian-test-api-key-0123', 'custodian-test-webhook-secret-4567');
  let front: Server;
  let tmp: string;
  let endpoints: Record<string, unknown>[];
  const endpoint = (over: Record<string, unknown> = {}) => ({
    id: `we_${randomBytes(6).toString('hex')}`,
    object: 'webhook_endpoint',
    url: `${API_URL}/api/webhooks/stripe`,
    status: 'enabled',
    enabled_events: [...STRIPE_WEBHOOK_EVENTS],
    api_version: null,
    livemode: false,
    ...over,
  });
  const env = (over: Record<string, string> = {}) => ({
    DATA_DIR: join(tmp, 'data'),
    API_URL,
    ESCROW_RAILS: 'STRIPE,PAYSTACK,USDC_BASE',
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
    STRIPE_API_URL: `http://127.0.0.1:${(front.address() as AddressInfo).port}`,
    PAYSTACK_SECRET_KEY: 'sk_test_deploycheck',
    PAYSTACK_API_URL: paystack.url,
    CUSTODIAN_API_URL: custodian.url,
    CUSTODIAN_API_KEY: custodian.apiKey,
    CUSTODIAN_WEBHOOK_SECRET: custodian.webhookSecret,
    ...over,
  });
  before(async () => {
    await Promise.all([stripe.start(), paystack.start(), custodian.start()]);
    front = await stripeWithEndpoints(stripe, () => endpoints);
    tmp = mkdtempSync(join(tmpdir(), 'escrow-deploy-rails-'));
    const { withEngine } = dataDirCli(() => ({ DATA_DIR: join(tmp, 'data') }));
    await withEngine(() => Promise.resolve()); // a migrated embedded database
  });
  after(async () => {
    front.closeAllConnections();
    await new Promise((resolve) => front.close(resolve));
    await Promise.all([stripe.stop(), paystack.stop(), custodian.stop()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("every rail's key works and the Stripe endpoint is subscribed: exit 0; Paystack's and the custodian's are by hand", async () => {
    endpoints = [endpoint()];
    const { code, r } = await report(env());
    assert.equal(code, 0, JSON.stringify(r.items));
    assert.deepEqual(
      r.items.filter((i) => i.name.includes(':')).map((i) => [i.name, i.status]),
      [
        ['rail:STRIPE', 'pass'],
        ['webhooks:stripe', 'pass'],
        ['rail:PAYSTACK', 'pass'],
        ['webhooks:paystack', 'n/a'],
        ['rail:USDC_BASE', 'pass'],
        ['webhooks:custodian', 'n/a'],
      ],
    );
    assert.match(item(r, 'rail:STRIPE').value, /^GET \/v1\/balance answered: the key works/);
    assert.match(
      item(r, 'webhooks:paystack').value,
      /dashboard.*https:\/\/escrow\.example\.com\/api\/webhooks\/paystack$/,
    );
    assert.match(item(r, 'webhooks:custodian').value, /https:\/\/escrow\.example\.com\/api\/webhooks\/custodian$/);
    assert.ok(
      stripe.requests.some((q) => q.method === 'GET' && q.path === '/v1/balance'),
      'Stripe was asked through the SDK',
    );
    assert.ok(paystack.requests.some((q) => q.path === '/balance'));
    assert.ok(custodian.requests.some((q) => q.path === '/v1/balances'));
  });

  it('a key the provider refuses fails its rail, naming the variable', async () => {
    endpoints = [endpoint()];
    const { code, r } = await report(env({ STRIPE_SECRET_KEY: 'sk_test_not_the_platform_key' }));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [
      ['rail:STRIPE', 'fail'],
      ['webhooks:stripe', 'fail'],
    ]);
    assert.match(item(r, 'rail:STRIPE').value, /^the key is refused: stripe: GET \/v1\/balance answered 401/);
    assert.equal(item(r, 'rail:STRIPE').next, 'set STRIPE_SECRET_KEY to a working key');
    const custodianRefused = await report(env({ CUSTODIAN_API_KEY: 'another-custodian-key-0000' }));
    assert.equal(custodianRefused.code, 1);
    assert.deepEqual(problems(custodianRefused.r), [['rail:USDC_BASE', 'fail']]);
    assert.match(item(custodianRefused.r, 'rail:USDC_BASE').value, /^the key is refused/);
  });

  it('a restricted key that may not read the balance is a warning (it authenticates), not a refused key', async () => {
    endpoints = [endpoint()];
    restricted = true;
    try {
      const { code, r } = await report(env());
      assert.equal(code, 0, JSON.stringify(r.items));
      assert.deepEqual(problems(r), [['rail:STRIPE', 'warn']]);
      assert.match(item(r, 'rail:STRIPE').value, /^the key authenticates but may not read the balance/);
    } finally {
      restricted = false;
    }
  });

  it('no endpoint at API_URL, a disabled one, or one missing events fails webhooks:stripe, naming what', async () => {
    endpoints = [endpoint({ url: 'https://old.example.com/api/webhooks/stripe' })];
    let { code, r } = await report(env());
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['webhooks:stripe', 'fail']]);
    assert.match(
      item(r, 'webhooks:stripe').value,
      /^no endpoint at https:\/\/escrow\.example\.com\/api\/webhooks\/stripe \(there are: https:\/\/old\.example\.com/,
    );
    assert.match(item(r, 'webhooks:stripe').next!, /Dashboard → Developers → Webhooks/);

    endpoints = [endpoint({ status: 'disabled' })];
    ({ code, r } = await report(env()));
    assert.equal(code, 1);
    assert.match(item(r, 'webhooks:stripe').value, /: disabled$/);

    endpoints = [endpoint({ enabled_events: ['payment_intent.succeeded', 'transfer.created'] })];
    ({ code, r } = await report(env()));
    assert.equal(code, 1);
    assert.match(
      item(r, 'webhooks:stripe').value,
      /is not subscribed to payment_intent\.payment_failed, charge\.refunded/,
    );

    endpoints = [endpoint({ enabled_events: ['*'] }), endpoint()];
    ({ code, r } = await report(env()));
    assert.equal(code, 0, 'two endpoints at the URL warn');
    assert.deepEqual(problems(r), [['webhooks:stripe', 'warn']]);
  });

  it('a provider that does not answer fails its rail within --timeout', async () => {
    endpoints = [endpoint()];
    custodian.hangNext(1);
    const res = await deploy(env(), '--json', '--timeout', '0.5');
    assert.equal(res.code, 1);
    const r = JSON.parse(res.out) as DeployCheckReport;
    assert.equal(item(r, 'rail:USDC_BASE').status, 'fail');
    assert.match(item(r, 'rail:USDC_BASE').value, /^the API does not answer: .*no answer within 500 ms/);
  });
});

describe('escrow check --deploy: the files bucket (AWS_S3_BUCKET) against s3rver', () => {
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  let tmp: string;
  let server: S3rver;
  let endpoint: string;
  const env = (bucket: string) => ({
    DATA_DIR: join(tmp, 'data'),
    AWS_S3_BUCKET: bucket,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
  });
  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'escrow-deploy-s3-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(tmp, 's3') });
    endpoint = `http://127.0.0.1:${(await server.run()).port}`;
    const admin = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
    try {
      await admin.send(new CreateBucketCommand({ Bucket: 'escrow-deploy-files' }));
    } finally {
      admin.destroy();
    }
    // the SDK's default chain, as in production: the variables of this process
    process.env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    const { withEngine } = dataDirCli(() => env('escrow-deploy-files'));
    await withEngine(() => Promise.resolve());
  });
  after(async () => {
    for (const [k, v] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a bucket that answers passes; one that does not exist fails `s3`, exit 1', async () => {
    const good = await report(env('escrow-deploy-files'));
    assert.equal(good.code, 0, JSON.stringify(good.r.items));
    assert.equal(item(good.r, 's3').status, 'pass');
    assert.equal(item(good.r, 's3').value, 'bucket escrow-deploy-files answers');
    const bad = await report(env('escrow-deploy-absent'));
    assert.equal(bad.code, 1);
    assert.deepEqual(problems(bad.r), [['s3', 'fail']]);
    assert.match(item(bad.r, 's3').value, /^bucket escrow-deploy-absent: /);
    assert.match(item(bad.r, 's3').next!, /AWS_S3_BUCKET/);
  });
});
