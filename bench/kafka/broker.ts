import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BROKER_SH = fileURLToPath(new URL('../../ci/kafka/broker.sh', import.meta.url));

/**
 * A real single-node Apache Kafka broker for a bench (ci/kafka/broker.sh: resolved from Maven Central, KRaft, topic
 * auto-creation off) on a port of the bench's own, so it never meets the tests' broker; `stop` deletes its data.
 */
export function startBroker(port = Number(process.env.BENCH_KAFKA_PORT ?? 19292)): { brokers: string; stop(): void } {
  const env = { ...process.env, KAFKA_PORT: String(port) };
  const brokers = execFileSync('bash', [BROKER_SH, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim()
    .split('\n')
    .at(-1)!;
  return { brokers, stop: () => execFileSync('bash', [BROKER_SH, 'stop'], { env, stdio: 'inherit' }) };
}
