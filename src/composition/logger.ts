import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.js';

/** JSON lines with `timestamp`, `level` (as a word) and `service`; secrets never reach the logger. */
export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'escrow-services' },
    timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  });
}
