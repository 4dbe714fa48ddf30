import { loadConfig, type Config } from '../config/index.js';
import { EXIT, type ExitCode } from './exitCodes.js';
import { toJson, type Io } from './output.js';

/** What every command gets: where to write, the configuration (read on use), and the exit code to end with. */
export interface CliContext {
  readonly io: Io;
  /** The environment's configuration, parsed when a command runs (never for --help or a usage error). */
  config(): Config;
  /** Prints a value as pretty JSON on stdout. */
  print(value: unknown): void;
  /** What the process exits with once the command has returned (set by `exitWith`). */
  exitCode: ExitCode;
}

export function createContext(io: Io, env: NodeJS.ProcessEnv): CliContext {
  return { io, config: () => loadConfig(env), print: (value) => io.out(toJson(value)), exitCode: EXIT.ok };
}

/** A command's action: what the body returns becomes the exit code (0, or 1 for violations and failed payments). */
export const exitWith =
  <A extends unknown[]>(ctx: CliContext, body: (...args: A) => Promise<ExitCode>) =>
  async (...args: A): Promise<void> => {
    ctx.exitCode = await body(...args);
  };
