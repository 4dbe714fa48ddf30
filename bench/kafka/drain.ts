/**
 * The worker side of Kafka mode on its own: commands already on the commands topic, applied by one
 * `escrow serve --roles worker` process (Kafka → worker → PostgreSQL).
 *
 * The commands of N lifecycles are produced while no worker runs — first the creates; then, once the payments were
 * applied (directly, as webhooks are), every escrow's delivery and confirmation — and each backlog is drained by a worker
 * started afterwards. The rate is read from the commands' own records (processed_commands.created_at, the worker's
 * clock), so the worker's start-up and group join are not counted. Ends by checking that every escrow is RELEASED,
 * nothing was refused, and the ledger invariants hold.
 *
 * usage: npm run bench:kafka:drain -- [--escrows 2000]   (KAFKA_BROKERS, else a real broker via ci/kafka/broker.sh)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { derivedId } from '../../src/app/ids.js';
import { CommandPending } from '../../src/app/remoteCommands.js';
import type { Actor } from '../../src/domain/index.js';
import { parseOptions } from '../engine/options.js';
import { runMain } from '../engine/pgbench.js';
import { openThrowawayEngine, type ThrowawayEngine } from '../engine/throwawayEngine.js';
import { startRoles } from './roles.js';
import { benchKafka, numberFlag } from './setup.js';

const log = (line = '') => console.log(line);
const SECRET = 'bench-drain-'.padEnd(64, 'x');

/** Submits a command whose outcome nobody waits for (COMMAND_REPLY_TIMEOUT_MS=0): it is on the topic when this returns. */
async function submit(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
    throw new Error('the command was answered without a worker running');
  } catch (err) {
    if (!(err instanceof CommandPending)) throw err;
  }
}

interface Drained {
  commands: number;
  seconds: number;
  perSec: number;
}

async function main(): Promise<number> {
  const escrows = numberFlag('escrows', 2000, { min: 1, integer: true });
  const { databaseUrl } = parseOptions([], process.env);
  const cluster = await benchKafka('drain');
  const kafka = cluster.env;
  log(`drain bench: ${escrows} escrows, ${escrows * 3} commands, Kafka ${cluster.label}`);
  const t: ThrowawayEngine = await openThrowawayEngine(databaseUrl, 'bench_drain', {
    ...kafka,
    COMMAND_REPLY_TIMEOUT_MS: '0',
    DATABASE_POOL_SIZE: '20',
    JWT_SECRET: SECRET,
  });
  const workerEnv = {
    ...kafka,
    NODE_ENV: 'development',
    ESCROW_RAILS: 'SANDBOX',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: t.schema,
    JWT_SECRET: SECRET,
  };
  const limit = pLimit(64);
  const runId = randomBytes(3).toString('hex');
  const buyer = (i: number): Actor => ({ id: `bench-buyer-${i % 97}`, role: 'user' });
  const seller = (i: number): Actor => ({ id: `bench-seller-${i % 89}`, role: 'user' });

  const count = async (types: string[]) =>
    (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_commands WHERE type = ANY($1)', [types]))
      .rows[0]!.n;

  /** Starts a worker, waits until it applied `expected` commands of `types`, stops it; the rate is from their records. */
  async function drain(types: string[], expected: number): Promise<Drained> {
    const worker = await startRoles('worker', 'worker', workerEnv);
    try {
      const deadline = Date.now() + 600_000;
      while ((await count(types)) < expected) {
        if (Date.now() > deadline) throw new Error(`the worker applied ${await count(types)} of ${expected} commands`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    const { rows } = await t.db.query<{ n: number; seconds: number }>(
      `SELECT count(*)::int AS n, extract(epoch FROM max(created_at) - min(created_at))::float8 AS seconds
         FROM processed_commands WHERE type = ANY($1)`,
      [types],
    );
    const { n, seconds } = rows[0]!;
    // n commands applied over the span from the first one's commit to the last one's: n - 1 intervals
    return { commands: n, seconds, perSec: seconds > 0 ? (n - 1) / seconds : 0 };
  }

  try {
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: escrows }, (_, i) =>
        limit(() => {
          const commandId = randomUUID();
          ids[i] = derivedId(`escrow:${commandId}`);
          return submit(() =>
            t.engine.service.create(
              buyer(i),
              {
                offerId: `drain-${runId}-${i}`,
                buyerId: buyer(i).id,
                sellerId: seller(i).id,
                rail: 'SANDBOX',
                currency: 'USD',
                amount: String(10_000 + (i % 50) * 100),
              },
              { commandId },
            ),
          );
        }),
      ),
    );
    log(`produced ${escrows} CreateEscrow commands; draining with one worker process`);
    const creates = await drain(['CreateEscrow'], escrows);
    log(
      `  CreateEscrow: ${creates.commands} applied in ${creates.seconds.toFixed(2)} s: ${creates.perSec.toFixed(0)}/s`,
    );

    await Promise.all(ids.map((id) => limit(() => t.engine.simulator.pay(id))));
    await Promise.all(
      ids.map((id, i) =>
        limit(async () => {
          await submit(() => t.engine.service.execute('MarkDelivered', id, seller(i), { title: 'Bench delivery' }));
          await submit(() => t.engine.service.execute('ConfirmDelivery', id, buyer(i), {}));
        }),
      ),
    );
    log(`paid every escrow (webhooks, applied directly); produced ${escrows * 2} MarkDelivered and ConfirmDelivery`);
    const rest = await drain(['MarkDelivered', 'ConfirmDelivery'], escrows * 2);
    log(
      `  MarkDelivered + ConfirmDelivery: ${rest.commands} applied in ${rest.seconds.toFixed(2)} s: ${rest.perSec.toFixed(0)}/s`,
    );

    const { rows } = await t.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM escrows GROUP BY status',
    );
    const rejected = (
      await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_commands WHERE rejected')
    ).rows[0]!.n;
    const report = await t.engine.verify();
    const released = rows.find((r) => r.status === 'RELEASED')?.n ?? 0;
    const ok = released === escrows && rejected === 0 && report.violations.length === 0;
    const commands = creates.commands + rest.commands;
    const perSec = commands / (creates.seconds + rest.seconds);
    log(
      `worker drain: ${commands} commands in ${(creates.seconds + rest.seconds).toFixed(2)} s: ${perSec.toFixed(0)} commands/s; ` +
        `${released}/${escrows} RELEASED, ${rejected} refused, ${report.violations.length} invariant violations`,
    );
    log(
      JSON.stringify({
        bench: 'kafka-drain',
        escrows,
        commands,
        drainCommandsPerSec: Math.round(perSec * 10) / 10,
        createsPerSec: Math.round(creates.perSec * 10) / 10,
        deliverConfirmPerSec: Math.round(rest.perSec * 10) / 10,
        released,
        rejected,
        violations: report.violations.length,
        ok,
      }),
    );
    return ok ? 0 : 1;
  } finally {
    await t.close();
    cluster.close();
  }
}

runMain(main);
