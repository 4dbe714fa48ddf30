import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, it } from 'node:test';
import { parse } from 'yaml';
import { openPostgres } from '../src/adapters/db/postgres.js';
import { mintToken } from '../src/http/auth.js';
import { ROLES } from '../src/main.js';
import {
  ROOT,
  assembleRuntime,
  imageNode,
  renderCompose,
  type ComposeFile,
  type ComposeService,
} from './deployArtifacts.js';
import { escrowInput } from './harness.js';
import { kafkaEnv, until } from './kafkaHarness.js';
import { freePort } from './processHarness.js';
import { suite } from './services.js';

/**
 * docker-compose.yml without a container engine: the compose client parses it, and every service's command line —
 * the image's own (`node dist/cli/index.js …`, on the image's Node.js major) — runs here with that service's
 * environment from the file, in the image's /app as the Dockerfile assembles it (production dependencies only). Only the addresses change (postgres, kafka and redis are this machine's test services;
 * ports are free ones; topics and the consumer group are the test's own on the shared broker). The one-shot steps
 * migrate and create the topics, the seven roles start and pass the file's health checks, and an escrow goes from
 * creation to release through them.
 */

type Proc = { name: string; child: ChildProcess; output: string[]; exited: Promise<number | null> };

/** What a service's environment becomes here: the compose file's, with this machine's addresses. */
const ADDRESS_KEYS = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'PORT', 'METRICS_PORT', 'HOST', 'API_URL'];

suite('docker-compose.yml, each service run as the image runs it', ['postgres', 'redis', 'kafka', 'compose'], () => {
  let compose: ComposeFile;
  let dbName: string;
  let local: Record<string, string>;
  let apiBase: string;
  let image: { dir: string; remove: () => void };
  const procs: Proc[] = [];

  const service = (name: string): ComposeService => {
    const s = compose.services[name];
    assert.ok(s, `docker-compose.yml has a ${name} service`);
    return s;
  };

  /** The service's command and environment, as compose would start it, with this machine's addresses. */
  const commandLine = async (name: string) => {
    const s = service(name);
    assert.equal(s.command?.[0], 'node', `${name}: the image's command runs node`);
    const env = { ...s.environment!, ...local };
    // every port a free one of this machine's (a role without the API must not find some other server on 3000)
    if (env.METRICS_PORT) env.METRICS_PORT = String(await freePort());
    env.PORT = name === 'api' ? new URL(apiBase).port : String(await freePort());
    return { argv: s.command.slice(1), env };
  };

  const childEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', HOME: '/tmp', ...env });

  /** The image's node with `argv` in its /app, to the end: exit code and output. */
  const run = (argv: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> =>
    new Promise((resolve) => {
      const child = spawn(imageNode(), argv, { cwd: image.dir, env: childEnv(env) });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });
  const runToEnd = async (name: string) => {
    const { argv, env } = await commandLine(name);
    return run(argv, env);
  };

  /** The service's healthcheck `test` (["CMD", "node", …]) with its environment: exit 0 = healthy. */
  const healthy = (s: ComposeService, env: Record<string, string>): Promise<boolean> => {
    const test = s.healthcheck!.test;
    assert.deepEqual(test.slice(0, 2), ['CMD', 'node']);
    return new Promise((resolve) => {
      const child = spawn(imageNode(), test.slice(2), { cwd: image.dir, env: childEnv(env), stdio: 'ignore' });
      child.on('exit', (code) => resolve(code === 0));
    });
  };

  before(async () => {
    compose = renderCompose();
    image = assembleRuntime();
    const admin = await openPostgres({ url: process.env.TEST_DATABASE_URL!, poolSize: 1, connectionTimeoutMs: 10_000 });
    dbName = `escrow_compose_${randomBytes(4).toString('hex')}`;
    await admin.exec(`CREATE DATABASE ${dbName}`);
    await admin.close();
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${dbName}`;
    apiBase = `http://127.0.0.1:${await freePort()}`;
    local = {
      ...(await kafkaEnv('compose', { create: false })),
      DATABASE_URL: url.toString(),
      REDIS_URL: process.env.TEST_REDIS_URL!,
      HOST: '127.0.0.1',
      API_URL: apiBase,
    };
  });

  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    const admin = await openPostgres({ url: process.env.TEST_DATABASE_URL!, poolSize: 1, connectionTimeoutMs: 10_000 });
    await admin.exec(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.close();
    image?.remove();
  });

  it('parses with the compose client and has PostgreSQL, Kafka in KRaft mode, Redis, the steps and every role', () => {
    const names = Object.keys(compose.services);
    for (const infra of ['postgres', 'kafka', 'redis', 'migrate', 'create-topics', 'prometheus', 'grafana']) {
      assert.ok(names.includes(infra), `${infra} in ${names.join(', ')}`);
    }
    assert.match(
      service('kafka').environment!.KAFKA_PROCESS_ROLES!,
      /controller/,
      'KRaft: the broker is its own controller',
    );
    assert.equal(
      names.some((n) => /zookeeper/.test(n)),
      false,
    );
    assert.deepEqual(service('migrate').command, ['node', 'dist/cli/index.js', 'migrate']);
    assert.deepEqual(service('create-topics').command, ['node', 'dist/cli/index.js', 'kafka', 'create-topics']);
    for (const role of ROLES) {
      const s = service(role);
      assert.deepEqual(s.command, ['node', 'dist/cli/index.js', 'serve', '--roles', role]);
      assert.ok(s.healthcheck?.test, `${role} has a health check`);
      assert.equal(s.depends_on?.migrate?.condition, 'service_completed_successfully', `${role} waits for migrate`);
      assert.equal(s.depends_on?.['create-topics']?.condition, 'service_completed_successfully');
      assert.equal(s.image, service('api').image, 'one image for every role');
      const env = s.environment!;
      assert.deepEqual(
        ADDRESS_KEYS.filter((k) => env[k] === undefined && k !== 'HOST'),
        [],
        `${role}: every address is set in the file`,
      );
    }
    for (const infra of ['postgres', 'kafka', 'redis']) assert.ok(service(infra).healthcheck, `${infra} health check`);
    for (const monitoring of ['prometheus', 'grafana']) assert.deepEqual(service(monitoring).profiles, ['monitoring']);
  });

  it("Prometheus's compose config scrapes every role where it serves /metrics, with the alert rules mounted", () => {
    const mounts = service('prometheus').volumes!.map((v) => (typeof v === 'string' ? v.split(':')[0]! : v.source));
    for (const source of mounts) assert.ok(existsSync(source.startsWith('/') ? source : join(ROOT, source)), source);
    assert.ok(mounts.some((m) => m.endsWith('deploy/monitoring/prometheus/alerts.yml')));
    const prom = parse(readFileSync(join(ROOT, 'deploy/compose/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    assert.deepEqual(prom.rule_files, ['alerts.yml']);
    const escrow = prom.scrape_configs.find((c) => c.job_name === 'escrow')!;
    const targets = escrow.static_configs.flatMap((c) => c.targets).sort();
    const expected = ROLES.map(
      (r) => `${r}:${r === 'api' ? service(r).environment!.PORT : service(r).environment!.METRICS_PORT}`,
    );
    assert.deepEqual(targets, expected.sort());
    const grafana = service('grafana').volumes!.map((v) => (typeof v === 'string' ? v.split(':')[0]! : v.source));
    for (const source of grafana) assert.ok(existsSync(source.startsWith('/') ? source : join(ROOT, source)), source);
  });

  it('the steps and the seven roles start from their command lines, pass their health checks, and release an escrow', async () => {
    const migrated = await runToEnd('migrate');
    assert.equal(migrated.code, 0, migrated.out);
    assert.match(migrated.out, /"applied": \[\s*"001_schema"/);
    const topics = await runToEnd('create-topics');
    assert.equal(topics.code, 0, topics.out);
    assert.match(topics.out, new RegExp(local.KAFKA_COMMANDS_TOPIC!.replaceAll('.', '\\.')));

    const started: { name: string; env: Record<string, string> }[] = [];
    for (const role of ROLES) {
      const { argv, env } = await commandLine(role);
      const child = spawn(imageNode(), argv, { cwd: image.dir, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      const output: string[] = [];
      const keep = (c: Buffer) => output.push(...c.toString().split('\n').slice(-50));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      procs.push({ name: role, child, output, exited: new Promise((r) => child.on('exit', (code) => r(code))) });
      started.push({ name: role, env });
    }
    for (const { name, env } of started) {
      const proc = procs.find((p) => p.name === name)!;
      await until(`${name} passes its compose health check`, () => healthy(service(name), env), {
        timeoutMs: 90_000,
        intervalMs: 500,
        why: () => `exit ${proc.child.exitCode}; ${proc.output.slice(-20).join('\n')}`,
      });
    }

    const secret = service('api').environment!.JWT_SECRET!;
    const buyer = await mintToken(secret, { sub: 'compose-buyer', role: 'user' }, '1h');
    const seller = await mintToken(secret, { sub: 'compose-seller', role: 'user' }, '1h');
    const post = async (path: string, token: string | null, body: unknown) => {
      const key = randomUUID();
      for (let attempt = 0; attempt < 200; attempt++) {
        const res = await fetch(apiBase + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': key,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status === 200 || res.status === 201) return JSON.parse(text) as Record<string, unknown>;
        if (res.status !== 202 && !text.includes('IDEMPOTENCY_KEY_IN_FLIGHT'))
          assert.fail(`${path}: ${res.status} ${text}`);
        await sleep(200);
      }
      return assert.fail(`${path}: no final answer`);
    };
    const created = await post(
      '/api/escrow',
      buyer,
      escrowInput({ buyerId: 'compose-buyer', sellerId: 'compose-seller' }),
    );
    const reference = (created.payment as { reference: string }).reference;
    await post(`/api/sandbox/payments/${reference}/succeed`, null, {});
    await post(`/api/escrow/${String(created.id)}/mark-delivered`, seller, { title: 'Keys sent' });
    const confirmed = await post(`/api/escrow/${String(created.id)}/confirm-delivery`, buyer, {});
    assert.equal(confirmed.status, 'RELEASED');

    const again = await runToEnd('migrate');
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /"applied": \[\]/, 'the one-shot step again (a restart of the stack) applies nothing');
    const verified = await run(['dist/cli/index.js', 'verify'], { ...service('api').environment!, ...local });
    assert.equal(verified.code, 0, verified.out);
    assert.match(verified.out, /"violations": \[\]/);

    // docker compose stop: SIGTERM (tini forwards it) and every role stops cleanly
    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exited));
    assert.deepEqual(
      codes,
      procs.map(() => 0),
      procs.map((p) => `${p.name}: ${p.output.slice(-5).join(' ')}`).join('\n'),
    );
  });
});
