import { randomBytes } from 'node:crypto';
import { startMockCluster } from './mockCluster.js';

/** `--name value` from the command line: a number >= `min` (an integer when `integer`), else `def`. */
export function numberFlag(name: string, def: number, o: { min?: number; integer?: boolean } = {}): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  const v = raw === undefined ? def : Number(raw);
  const min = o.min ?? 0;
  if (!Number.isFinite(v) || v < min || (o.integer && !Number.isInteger(v))) {
    throw new Error(`--${name} must be ${o.integer ? 'an integer' : 'a number'} >= ${min}, got ${raw}`);
  }
  return v;
}

/**
 * Kafka for a bench: KAFKA_BROKERS, else librdkafka's mock cluster started here; topics and a group of the run's own
 * (named after `prefix`), as KAFKA_* variables for an engine or a role process.
 */
export async function benchKafka(
  prefix: string,
): Promise<{ env: Record<string, string>; mock: boolean; label: string; close(): void }> {
  const given = process.env.KAFKA_BROKERS;
  const mock = given ? null : await startMockCluster();
  const brokers = given ?? mock!.brokers;
  const suffix = randomBytes(4).toString('hex');
  return {
    env: {
      KAFKA_BROKERS: brokers,
      KAFKA_COMMANDS_TOPIC: `${prefix}-commands-${suffix}`,
      KAFKA_EVENTS_TOPIC: `${prefix}-events-${suffix}`,
      KAFKA_GROUP_ID: `${prefix}-workers-${suffix}`,
      // the mock answers an empty fetch only when the wait ran out (a real broker answers when data arrives)
      KAFKA_FETCH_MAX_WAIT_MS: process.env.KAFKA_FETCH_MAX_WAIT_MS ?? (mock ? '10' : '100'),
      // tuning knobs passed on as they are
      ...(process.env.KAFKA_LINGER_MS ? { KAFKA_LINGER_MS: process.env.KAFKA_LINGER_MS } : {}),
      ...(process.env.WORKER_MAX_IN_FLIGHT ? { WORKER_MAX_IN_FLIGHT: process.env.WORKER_MAX_IN_FLIGHT } : {}),
    },
    mock: mock !== null,
    label: mock ? `mock cluster (kcat) at ${brokers}` : brokers,
    close: () => mock?.child.kill('SIGKILL'),
  };
}
