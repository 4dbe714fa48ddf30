import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { Kafka, logLevel, type ITopicConfig } from 'kafkajs';
import { isUnknownTopic, topicSpecs } from '../src/adapters/kafka/client.js';
import { runCli } from '../src/cli/program.js';
import type { CheckItem, DeployCheckReport } from '../src/composition/deployCheck.js';
import { loadConfig } from '../src/config/index.js';
import { dataDirCli } from './dataDirCli.js';
import { kafkaBrokers, kafkaEnv, until } from './kafkaHarness.js';
import { freePort } from './processHarness.js';
import { suite } from './services.js';

// `escrow check --deploy`, item kafka_topics, against the real broker at TEST_KAFKA_BROKERS: the topics of
// `escrow kafka create-topics` as it makes them pass; a missing topic, a compacted one, a short retention, a codec
// the engine cannot read and unreachable brokers each fail the check (exit 1), naming the topic and what to run.

async function deploy(env: Record<string, string>, ...args: string[]) {
  let out = '';
  let err = '';
  const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
  const code = await runCli(['check', '--deploy', '--json', ...args], io, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...env,
  });
  assert.equal(err, '', 'nothing on stderr');
  return { code, r: JSON.parse(out) as DeployCheckReport };
}

const topicsItem = (r: DeployCheckReport): CheckItem => r.items.find((i) => i.name === 'kafka_topics')!;
const problems = (r: DeployCheckReport) =>
  r.items.filter((i) => i.status === 'fail' || i.status === 'warn').map((i) => [i.name, i.status]);

suite('escrow check --deploy: kafka_topics', ['kafka'], () => {
  const kafka = new Kafka({
    clientId: 'deploy-check-test',
    brokers: kafkaBrokers().split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  const created: string[] = [];
  let tmp: string;
  const withData = (env: Record<string, string>) => ({ DATA_DIR: join(tmp, 'data'), ...env });

  /** Creates the topics `topicSpecs` gives for `env`, as `change` leaves them, and waits for their leaders. */
  const createTopics = async (env: Record<string, string>, change: (specs: ITopicConfig[]) => ITopicConfig[]) => {
    const topics = change(topicSpecs(loadConfig({ NODE_ENV: 'test', ...env }).kafka!));
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (err) {
      if (!isUnknownTopic(err)) throw err; // the broker may not know a topic it just made for a moment
    }
    created.push(...topics.map((t) => t.topic));
    await until('the topics to have leaders', async () => {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) }).catch(() => ({
        topics: [],
      }));
      return meta.length === topics.length && meta.every((t) => t.partitions.every((p) => p.leader >= 0));
    });
  };
  /** `name`'s configuration entry set to `value` (the others as create-topics has them). */
  const withConfig = (spec: ITopicConfig, name: string, value: string): ITopicConfig => ({
    ...spec,
    configEntries: (spec.configEntries ?? []).map((e) => (e.name === name ? { name, value } : e)),
  });

  before(async () => {
    await admin.connect();
    tmp = mkdtempSync(join(tmpdir(), 'escrow-deploy-kafka-'));
    const { withEngine } = dataDirCli(() => ({ DATA_DIR: join(tmp, 'data') }));
    await withEngine(() => Promise.resolve()); // a migrated embedded database: only the topics are in question
  });
  after(async () => {
    if (created.length) await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the topics `escrow kafka create-topics` makes pass: exit 0', async () => {
    const env = await kafkaEnv('deploy-ok');
    const config = loadConfig({ NODE_ENV: 'test', ...env }).kafka!;
    created.push(...topicSpecs(config).map((t) => t.topic));
    const { code, r } = await deploy(withData(env));
    assert.equal(code, 0, JSON.stringify(r.items));
    assert.deepEqual(problems(r), []);
    const i = topicsItem(r);
    assert.equal(i.status, 'pass');
    assert.ok(i.value.includes(`${env.KAFKA_EVENTS_TOPIC} (12)`), i.value);
    assert.match(i.value, /replication factor ≥ 1, cleanup\.policy delete, retention ≥ 90 days, snappy$/);
  });

  it('a missing topic fails, naming it and `escrow kafka create-topics`, which fixes it', async () => {
    const env = await kafkaEnv('deploy-missing', { create: false });
    const dlq = `${env.KAFKA_EVENTS_TOPIC}.dlq`;
    await createTopics(env, (specs) => specs.filter((t) => t.topic !== dlq));
    const { code, r } = await deploy(withData(env));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['kafka_topics', 'fail']]);
    assert.equal(topicsItem(r).value, `topic ${dlq} is missing`);
    assert.equal(topicsItem(r).next, 'escrow kafka create-topics');

    let out = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t) };
    const made = await runCli(['kafka', 'create-topics'], io, { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
    assert.equal(made, 0, out);
    created.push(dlq);
    assert.deepEqual((JSON.parse(out) as { created: string[] }).created, [dlq]);
    assert.equal((await deploy(withData(env))).code, 0);
  });

  it('an events topic with cleanup.policy=compact fails, naming the topic and its policy', async () => {
    const env = await kafkaEnv('deploy-compact', { create: false });
    const events = env.KAFKA_EVENTS_TOPIC!;
    await createTopics(env, (specs) =>
      specs.map((t) => (t.topic === events ? withConfig(t, 'cleanup.policy', 'compact') : t)),
    );
    const { code, r } = await deploy(withData(env));
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['kafka_topics', 'fail']]);
    assert.match(
      topicsItem(r).value,
      new RegExp(`^topic ${events.replace(/\./g, '\\.')}: cleanup\\.policy=compact \\(must be delete`),
    );
    assert.match(
      topicsItem(r).next!,
      new RegExp(`--entity-name ${events.replace(/\./g, '\\.')} --add-config cleanup\\.policy=delete`),
    );
  });

  it('a retention shorter than configured and a codec the engine cannot read fail; gzip only warns', async () => {
    const env = await kafkaEnv('deploy-retention', { create: false });
    const commands = env.KAFKA_COMMANDS_TOPIC!;
    const events = env.KAFKA_EVENTS_TOPIC!;
    await createTopics(env, (specs) =>
      specs.map((t) =>
        t.topic === commands
          ? withConfig(t, 'retention.ms', String(86_400_000))
          : t.topic === events
            ? withConfig(t, 'compression.type', 'lz4')
            : t.topic === `${commands}.dlq`
              ? withConfig(t, 'compression.type', 'gzip')
              : t,
      ),
    );
    const { code, r } = await deploy(withData(env));
    assert.equal(code, 1);
    const value = topicsItem(r).value.split('; ');
    assert.deepEqual(value, [
      `topic ${commands}: retention.ms=86400000 (1 days), configured 90`,
      `topic ${events}: compression.type=lz4 (the engine cannot read this codec)`,
      `topic ${commands}.dlq: compression.type=gzip (the broker recompresses)`,
    ]);
    assert.equal(topicsItem(r).status, 'fail');
  });

  it('brokers that do not answer fail kafka_topics', async () => {
    const env = await kafkaEnv('deploy-down', { create: false });
    const port = await freePort();
    const { code, r } = await deploy(withData({ ...env, KAFKA_BROKERS: `127.0.0.1:${port}` }), '--timeout', '5');
    assert.equal(code, 1);
    assert.deepEqual(problems(r), [['kafka_topics', 'fail']]);
    assert.match(topicsItem(r).value, new RegExp(`^brokers 127\\.0\\.0\\.1:${port} unreachable: `));
    assert.match(topicsItem(r).next!, /KAFKA_BROKERS/);
  });
});
