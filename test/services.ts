import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

/**
 * The services a suite needs beyond PGlite, and one way to declare them: without a service the suite is skipped with
 * the reason and how to get the service, and node:test counts it in the summary's `skipped` (a `describe` given
 * `{ skip }` prints `# SKIP` but counts nothing, so a skipped suite is one skipped test here). `.ci/run` provides
 * every service and fails if anything was skipped.
 */
export type Service = 'postgres' | 'redis' | 'kafka' | 'compose' | 'kubectl';

/** A command line that exits 0 where the tool is installed. */
const answers = (cmd: string, ...args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;

/** Tools the deployment tests need (found on the PATH, not named by a variable). */
const TOOLS: Partial<Record<Service, () => boolean>> = {
  compose: () => answers('docker', 'compose', 'version') || answers('docker-compose', 'version'),
  kubectl: () => answers('kubectl', 'version', '--client'),
};

const SERVICES: Record<Service, { variable: string; how: string }> = {
  postgres: {
    variable: 'TEST_DATABASE_URL',
    how: 'PostgreSQL: set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test',
  },
  redis: { variable: 'TEST_REDIS_URL', how: 'Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379' },
  kafka: {
    variable: 'TEST_KAFKA_BROKERS',
    how: 'a Kafka broker: run `ci/kafka/broker.sh start` and set TEST_KAFKA_BROKERS to the address it prints',
  },
  compose: { variable: '', how: 'a compose client: the docker compose plugin, or `apt-get install docker-compose`' },
  kubectl: { variable: '', how: 'kubectl (its kustomize renders the manifests): `apt-get install kubectl`' },
};
const found = new Map<Service, boolean>();

/** Whether the test run has the service (its TEST_* variable is set, or the tool answers). */
export function has(service: Service): boolean {
  const tool = TOOLS[service];
  if (!tool) return Boolean(process.env[SERVICES[service].variable]);
  if (!found.has(service)) found.set(service, tool());
  return found.get(service)!;
}

/** Why a suite needing `needs` cannot run here ("needs …; needs …"), or false when every service is there. */
export function missing(needs: readonly Service[], why = ''): string | false {
  const absent = needs.filter((s) => !has(s));
  if (absent.length === 0) return false;
  return `needs ${absent.map((s) => SERVICES[s].how).join('; and ')}${why ? ` (${why})` : ''}`;
}

/**
 * `describe(name, fn)` when every service in `needs` is there; otherwise one skipped test in its place, named for
 * the suite, whose reason says what is missing and how to get it (counted as skipped).
 */
export function suite(name: string, needs: readonly Service[], fn: () => void, why = ''): void {
  const reason = missing(needs, why);
  if (reason === false) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    it(`skipped: ${reason}`, { skip: reason }, () => undefined);
  });
}
