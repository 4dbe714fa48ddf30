import { pino } from 'pino';
import { runCli } from '../src/cli/program.js';
import { loadConfig } from '../src/config/index.js';
import { createEngine, type Engine } from '../src/main.js';

/**
 * The two ways a CLI suite on an embedded data directory reaches it: an engine opened on it for one step (then
 * stopped, releasing the directory), and the `escrow` program run in process with its output captured. `env()` is
 * read at each call, so a suite may set its DATA_DIR in `before`.
 */
export function dataDirCli(env: () => Record<string, string>) {
  const vars = () => ({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env() });
  return {
    withEngine: async <T>(fn: (engine: Engine) => Promise<T>): Promise<T> => {
      const engine = await createEngine(loadConfig(vars()), { logger: pino({ level: 'silent' }) });
      try {
        return await fn(engine);
      } finally {
        await engine.stop();
      }
    },
    cli: async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) }, vars());
      return { code, out, err };
    },
  };
}
