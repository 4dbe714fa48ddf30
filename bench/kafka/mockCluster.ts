import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * librdkafka's mock cluster, served by Debian's kcat until killed (Apache Kafka cannot be installed here): it speaks
 * the Kafka protocol (produce, fetch, consumer groups; not CreateTopics) and auto-creates topics with 4 partitions.
 * Used by the tests when TEST_KAFKA_BROKERS is not set, and by bench/kafka when KAFKA_BROKERS is not set.
 * Resolves with its bootstrap servers (`bootstrap.servers=...` appears in kcat's debug log).
 */
export function startMockCluster(brokers = 1): Promise<{ brokers: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      ['-X', `test.mock.num.brokers=${brokers}`, '-b', '127.0.0.1:1', '-C', '-t', '__mock_keepalive', '-d', 'mock'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.on('error', (err) =>
      reject(new Error(`a Kafka mock cluster needs kcat (apt-get install kcat), or set the brokers: ${err.message}`)),
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
