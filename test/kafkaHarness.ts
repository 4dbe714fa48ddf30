import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

/**
 * Kafka for tests: TEST_KAFKA_BROKERS when set (.ci/run starts librdkafka's mock cluster and sets it), else a mock
 * cluster of our own started with Debian's kcat. Without either the Kafka tests fail — they are never skipped.
 */
let own: Promise<{ brokers: string; child: ChildProcess }> | null = null;

export async function kafkaBrokers(): Promise<string> {
  if (process.env.TEST_KAFKA_BROKERS) return process.env.TEST_KAFKA_BROKERS;
  own ??= startMockCluster();
  return (await own).brokers;
}

/** librdkafka's mock cluster, served by kcat until killed: `bootstrap.servers=...` appears in its debug log. */
export function startMockCluster(brokers = 1): Promise<{ brokers: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      ['-X', `test.mock.num.brokers=${brokers}`, '-b', '127.0.0.1:1', '-C', '-t', '__mock_keepalive', '-d', 'mock'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.on('error', (err) =>
      reject(new Error(`Kafka tests need kcat (apt-get install kcat) or TEST_KAFKA_BROKERS: ${err.message}`)),
    );
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const m = /bootstrap\.servers=(\S+)/.exec(log);
      if (m) {
        child.stderr.removeAllListeners('data');
        child.stderr.resume(); // keep draining its log, without keeping this process alive
        (child.stderr as unknown as Socket).unref();
        resolve({ brokers: m[1]!, child });
      }
    });
    child.unref();
    process.once('exit', () => child.kill('SIGKILL'));
  });
}

/** Configuration for a Kafka-mode server with topics and a group of its own on a shared cluster. */
export async function kafkaEnv(label = 'test'): Promise<Record<string, string>> {
  const suffix = `${label}-${randomBytes(4).toString('hex')}`;
  return {
    KAFKA_BROKERS: await kafkaBrokers(),
    KAFKA_COMMANDS_TOPIC: `escrow-commands-${suffix}`,
    KAFKA_EVENTS_TOPIC: `escrow.events.v1-${suffix}`,
    KAFKA_GROUP_ID: `escrow-service-group-${suffix}`,
    KAFKA_CLIENT_ID: `escrow-test-${suffix}`,
  };
}
