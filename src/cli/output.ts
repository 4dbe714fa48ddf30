import { Option } from 'commander';
import { minorAsString } from '../domain/index.js';

/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether `out` is a terminal (a person reading), not a file or a pipe. */
  readonly isTTY?: boolean;
  /** Whether `err` is a terminal: long runs draw their progress there (never into a log file or a pipe). */
  readonly errIsTTY?: boolean;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
  get errIsTTY() {
    return process.stderr.isTTY === true;
  },
};

/** Pretty JSON (2-space indent) and a newline, as every data command prints it. */
export const toJson = (value: unknown): string => `${JSON.stringify(value, minorAsString, 2)}\n`;

/** `--json` for the commands that print data: JSON is their default output, so scripts may say so or not. */
export const jsonOption = (): Option =>
  new Option('--json', 'print JSON on stdout (the default; bigints as digit strings)');
