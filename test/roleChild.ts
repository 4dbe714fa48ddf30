/**
 * A role process for tests: `escrow serve --roles <argv[2]>` as the CLI runs it, but on the test's clock. The parent
 * (test/httpHarness.ts) forks it with an IPC channel, passes the clock's start in TEST_CLOCK_START and sends
 * `{ advance: ms, seq }` whenever its fake clock moves; this process applies the step and answers `{ ack: seq }`, so a
 * request the test makes after advancing its clock is applied by this worker at the same instant.
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type RoleName } from '../src/main.js';
import { FakeClock } from './harness.js';

type Message = { advance: number; seq: number };

async function run(): Promise<void> {
  const roles = (process.argv[2] ?? '').split(',').filter(Boolean) as RoleName[];
  const clock = new FakeClock(process.env.TEST_CLOCK_START);
  process.on('message', (m: Message) => {
    clock.advance(m.advance);
    process.send?.({ ack: m.seq });
  });
  const config = loadConfig(process.env);
  const engine = await createEngine(config, { clock, logger: pino({ level: 'warn' }) });
  await engine.start(roles);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void engine.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop); // the test process is gone
  process.send?.({ ready: true });
}

run().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
