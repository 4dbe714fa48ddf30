import { CommanderError, type Command } from 'commander';
import { DataDirLockedError } from '../adapters/db/dataDirLock.js';
import { ConfigError } from '../config/index.js';
import { DomainError } from '../domain/index.js';
import type { Io } from './output.js';

/** The CLI's exit codes, as every command's --help documents them. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains in its message (what went wrong and what to do): printed without a stack. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';
}

/** Raised by commands for bad argument values commander cannot check itself (printed with the command's usage). */
export function usageError(cmd: Command, message: string): never {
  return cmd.error(`error: ${message}`, { exitCode: EXIT.usage, code: 'escrow.usage' });
}

/**
 * The exit code for an error that ended a command, reported on stderr. Commander has already printed its own
 * (usage errors, help); a bad configuration, a data directory in use or a CliFailure is told by its message, a
 * domain error as `CODE: message`, anything else with its stack.
 */
export function exitCodeFor(err: unknown, io: Io): ExitCode {
  // --help and --version end parsing with exit code 0; every other commander error is a usage error
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof ConfigError || err instanceof CliFailure || err instanceof DataDirLockedError) {
    io.err(`${err.message}\n`);
  } else if (err instanceof DomainError) io.err(`${err.code}: ${err.message}\n`);
  else io.err(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.failure;
}
