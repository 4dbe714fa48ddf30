import { Option } from 'commander';

/** Where the CLI writes: the process's streams, or a test's buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** The CLI's one JSON replacer: bigints (amounts, ledger sums) become digit strings, never lossy numbers. */
export const bigintAsString = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

/** Pretty JSON (2-space indent) and a newline, as every data command prints it. */
export const toJson = (value: unknown): string => `${JSON.stringify(value, bigintAsString, 2)}\n`;

/** `--json` for the commands that print data: JSON is their default output, so scripts may say so or not. */
export const jsonOption = (): Option =>
  new Option('--json', 'print JSON on stdout (the default; bigints as digit strings)');
