import type { Command } from 'commander';
import { DEPLOY_CHECK_TIMEOUT_MS, runDeployCheck, type DeployCheckReport } from '../../composition/deployCheck.js';
import type { CliContext } from '../context.js';
import { EXIT, usageError, type ExitCode } from '../exitCodes.js';
import { toJson } from '../output.js';
import { checklistLines } from '../checklist.js';

/** `escrow check --deploy`'s options (registered by `escrow check`). */
export interface DeployCheckOptions {
  json?: boolean;
  /** Seconds each item waits for its service. */
  timeout?: string;
}

/** The default of --timeout, in seconds. */
export const DEPLOY_CHECK_TIMEOUT_SECONDS = String(DEPLOY_CHECK_TIMEOUT_MS / 1000);

/**
 * `escrow check --deploy`: the deployment guide's pre-deployment checklist and post-deployment verification, asked of
 * the services this configuration names (never through a running server: it checks what the release will use).
 */
export async function runDeployCheckCommand(ctx: CliContext, cmd: Command, o: DeployCheckOptions): Promise<ExitCode> {
  const seconds = Number(o.timeout ?? DEPLOY_CHECK_TIMEOUT_SECONDS);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    usageError(cmd, `--timeout: seconds, more than 0 and at most 600 (got ${o.timeout})`);
  }
  const report = await runDeployCheck(ctx.config(), { timeoutMs: Math.round(seconds * 1000) });
  ctx.io.out(o.json ? toJson(report) : deployCheckTable(report));
  return report.ok ? EXIT.ok : EXIT.failure;
}

/** What `escrow check --deploy` prints for a person: the daily check's layout. */
export const deployCheckTable = (report: DeployCheckReport): string => `${checklistLines(report).join('\n')}\n`;
