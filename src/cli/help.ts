import type { Command } from 'commander';

export interface CommandHelp {
  /** Invocations shown under "Examples:", without the `$ `. */
  examples: readonly string[];
  /** What the command prints, e.g. "JSON on stdout". */
  output?: string;
  /** When the command exits 1; the default is any failure (database, broker, bad configuration). */
  failure?: string;
  /** Further lines, e.g. where the runbook explains the figures. */
  notes?: readonly string[];
}

/**
 * Appends examples, output and exit codes to a command's --help. Left out of the usage printed after a usage error,
 * which should show what was wrong and the options, not the whole manual.
 */
export function documented(cmd: Command, help: CommandHelp): Command {
  return cmd.addHelpText('after', ({ error }) => (error ? '' : helpText(help)));
}

function helpText(help: CommandHelp): string {
  const lines = ['', 'Examples:', ...help.examples.map((e) => `  $ ${e}`), ''];
  if (help.output) lines.push(`Output: ${help.output}.`);
  lines.push(...(help.notes ?? []));
  lines.push(`Exit codes: 0 success, 1 ${help.failure ?? 'failure'}, 2 usage error.`);
  return lines.join('\n');
}
