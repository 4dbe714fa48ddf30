import type { Config } from '../config/index.js';
import { createEngine, type Engine } from '../main.js';

/**
 * Opens an engine for one command, runs it and stops the engine. `info` logging becomes `warn` so that stdout holds
 * only the command's JSON (the logger writes to stdout).
 */
export async function withEngine<T>(config: Config, run: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  try {
    return await run(engine);
  } finally {
    await engine.stop();
  }
}
