import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import kafkajs, {
  Kafka,
  logLevel,
  type Admin,
  type ISocketFactory,
  type ITopicConfig,
  type KafkaConfig as KafkaJsConfig,
} from 'kafkajs';
import type { CheckItem } from '../app/dailyCheck.js';
import { topicSpecs } from '../adapters/kafka/client.js';
import type { Config, KafkaConfig } from '../config/index.js';
import { failure, guard, messageOf } from './deployCheckGuard.js';

const QUESTION = 'Kafka topics exist: partitions, replication factor, delete retention, compression (the guide)';
const CREATE = 'escrow kafka create-topics';
/** Codecs the engine's kafkajs can read: a topic recompressing to another one would make its batches unreadable. */
const READABLE = new Set(['snappy', 'producer']);
const OTHER_READABLE = new Set(['gzip', 'uncompressed']);

interface Finding {
  status: 'warn' | 'fail';
  text: string;
  next: string;
}

const alter = (topic: string, entry: string) =>
  `kafka-configs.sh --bootstrap-server <broker> --alter --entity-type topics --entity-name ${topic} --add-config ${entry}`;

/** `kafka_topics`: every topic `escrow kafka create-topics` makes, as it makes them (n/a without KAFKA_BROKERS). */
export async function kafkaTopicsItem(config: Config, ms: number): Promise<CheckItem> {
  const k = config.kafka;
  const base = { name: 'kafka_topics', question: QUESTION };
  if (!k) return { ...base, status: 'n/a', value: 'KAFKA_BROKERS is not set (events are delivered in process)' };
  const sockets = trackedSockets();
  const kafka = new Kafka({
    socketFactory: sockets.factory,
    clientId: `${k.clientId}-deploy-check`,
    brokers: k.brokers,
    ssl: k.ssl,
    ...(k.sasl ? { sasl: k.sasl as KafkaJsConfig['sasl'] } : {}),
    connectionTimeout: Math.min(3_000, ms),
    requestTimeout: ms,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    const { findings, summary } = await guard(ms, async (onAbandon) => {
      // kafkajs cannot abort a connect under way: its sockets are closed under it (and no new one opens)
      onAbandon(() => sockets.closeAll());
      await admin.connect();
      return inspectTopics(admin, k, config.nodeEnv === 'production');
    });
    if (findings.length === 0) return { ...base, status: 'pass', value: summary };
    const status = findings.some((f) => f.status === 'fail') ? 'fail' : 'warn';
    return {
      ...base,
      status,
      value: findings.map((f) => f.text).join('; '),
      next: [...new Set(findings.map((f) => f.next))].join('; '),
    };
  } catch (err) {
    return failure(base.name, base.question, ...kafkaFailure(k.brokers, err));
  } finally {
    await admin.disconnect().catch(() => undefined);
    sockets.closeAll();
  }
}

/**
 * What a failed admin call says: refused credentials (SASL) or a missing permission (ACLs) are not an unreachable
 * cluster, and each has its own fix.
 */
function kafkaFailure(brokers: readonly string[], err: unknown): [string, string] {
  const name = err instanceof Error ? err.name : '';
  const type = (err as { type?: string } | null)?.type ?? '';
  if (name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED') {
    return [
      `the brokers refuse the credentials: ${messageOf(err)}`,
      'check KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD',
    ];
  }
  if (/AUTHORIZATION_FAILED$/.test(type)) {
    const next =
      'grant the principal Describe and DescribeConfigs on the topics (and Create for escrow kafka create-topics)';
    return [`not authorized: ${messageOf(err)}`, next];
  }
  const next = 'check KAFKA_BROKERS (and KAFKA_SSL_ENABLED / KAFKA_SASL_*): is the cluster up and reachable?';
  return [`brokers ${brokers.join(',')} unreachable: ${messageOf(err)}`, next];
}

/** kafkajs' own socket factory, keeping the sockets it opens so that an abandoned check can close them. */
function trackedSockets(): { factory: ISocketFactory; closeAll: () => void } {
  const open = new Set<Socket>();
  let closed = false;
  const factory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
    const socket: Socket = ssl
      ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
      : netConnect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    if (closed) socket.destroy(new Error('the check gave up on the brokers'));
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    return socket;
  };
  const closeAll = () => {
    closed = true;
    for (const s of open) s.destroy();
  };
  return { factory, closeAll };
}

/** Over a connected admin: what is wrong with each topic, and a one-line summary when nothing is. */
async function inspectTopics(
  admin: Admin,
  k: KafkaConfig,
  production: boolean,
): Promise<{ findings: Finding[]; summary: string }> {
  const specs = topicSpecs(k);
  const existing = new Set(await admin.listTopics());
  const findings: Finding[] = specs
    .filter((s) => !existing.has(s.topic))
    .map((s) => ({ status: 'fail', text: `topic ${s.topic} is missing`, next: CREATE }));
  const present = specs.filter((s) => existing.has(s.topic));
  if (present.length > 0) {
    const names = present.map((s) => s.topic);
    const [{ topics }, { resources }] = await Promise.all([
      admin.fetchTopicMetadata({ topics: names }),
      admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name })),
      }),
    ]);
    for (const spec of present) {
      const meta = topics.find((t) => t.name === spec.topic);
      const res = resources.find((r) => r.resourceName === spec.topic);
      if (!meta || !res || res.errorCode !== 0) {
        const why = res?.errorMessage || 'no metadata';
        findings.push({ status: 'fail', text: `topic ${spec.topic}: not readable (${why})`, next: 'check the ACLs' });
        continue;
      }
      const configs = new Map(res.configEntries.map((e) => [e.configName, e.configValue]));
      findings.push(...layoutFindings(spec, meta.partitions, production), ...configFindings(spec, configs));
    }
  }
  const rf = specs[0]?.replicationFactor ?? 1;
  const summary =
    `${specs.map((s) => `${s.topic} (${s.numPartitions ?? 1})`).join(', ')}: replication factor ≥ ${rf}, ` +
    `cleanup.policy delete, retention ≥ ${k.topics.retentionDays} days, snappy`;
  return { findings, summary };
}

/** Partitions (at least as configured, each with a leader) and the replication factor. */
function layoutFindings(
  spec: ITopicConfig,
  partitions: { leader: number; replicas: number[] }[],
  production: boolean,
): Finding[] {
  const out: Finding[] = [];
  const t = spec.topic;
  const wanted = spec.numPartitions ?? 1;
  if (partitions.length < wanted) {
    out.push({
      status: 'warn',
      text: `topic ${t}: ${partitions.length} partitions, ${wanted} configured (fewer consumers in parallel)`,
      next: `kafka-topics.sh --alter --topic ${t} --partitions ${wanted} (before traffic: keys move to other partitions)`,
    });
  }
  const leaderless = partitions.filter((p) => p.leader < 0).length;
  if (leaderless > 0) {
    out.push({
      status: 'fail',
      text: `topic ${t}: ${leaderless} partitions without a leader`,
      next: 'check the brokers',
    });
  }
  const rf = Math.min(...partitions.map((p) => p.replicas.length));
  const wantedRf = spec.replicationFactor ?? 1;
  if (rf < wantedRf) {
    out.push({
      status: 'fail',
      text: `topic ${t}: replication factor ${rf}, ${wantedRf} configured (KAFKA_REPLICATION_FACTOR)`,
      next: `kafka-reassign-partitions.sh to ${wantedRf} replicas per partition`,
    });
  } else if (production && rf < 3) {
    out.push({
      status: 'warn',
      text: `topic ${t}: replication factor ${rf} in production (the guide: 3)`,
      next: 'kafka-reassign-partitions.sh to 3 replicas per partition',
    });
  }
  return out;
}

/** cleanup.policy delete (never compaction: it would erase history), retention, and a codec the engine reads. */
function configFindings(spec: ITopicConfig, configs: Map<string, string>): Finding[] {
  const out: Finding[] = [];
  const t = spec.topic;
  const wanted = new Map((spec.configEntries ?? []).map((e) => [e.name, e.value]));
  const policy = configs.get('cleanup.policy') ?? '';
  if (policy !== 'delete') {
    out.push({
      status: 'fail',
      text: `topic ${t}: cleanup.policy=${policy || '?'} (must be delete: compaction erases the events' history)`,
      next: alter(t, 'cleanup.policy=delete'),
    });
  }
  const retention = Number(configs.get('retention.ms'));
  const wantedRetention = Number(wanted.get('retention.ms'));
  if (retention !== -1 && !(retention >= wantedRetention)) {
    out.push({
      status: 'fail',
      text: `topic ${t}: retention.ms=${configs.get('retention.ms')} (${days(retention)} days), configured ${days(wantedRetention)}`,
      next: alter(t, `retention.ms=${wantedRetention}`),
    });
  }
  const bytes = configs.get('retention.bytes');
  if (bytes !== undefined && bytes !== '-1') {
    out.push({
      status: 'warn',
      text: `topic ${t}: retention.bytes=${bytes} may delete events before retention.ms`,
      next: alter(t, 'retention.bytes=-1'),
    });
  }
  const codec = configs.get('compression.type') ?? '';
  if (!READABLE.has(codec)) {
    out.push({
      status: OTHER_READABLE.has(codec) ? 'warn' : 'fail',
      text:
        `topic ${t}: compression.type=${codec || '?'}` +
        (OTHER_READABLE.has(codec) ? ' (the broker recompresses)' : ' (the engine cannot read this codec)'),
      next: alter(t, 'compression.type=snappy'),
    });
  }
  return out;
}

const days = (ms: number) => (Number.isFinite(ms) ? String(Math.round((ms / 86_400_000) * 100) / 100) : '?');
