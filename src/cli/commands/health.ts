import { Option, type Command } from 'commander';
import type { DailyCheckReport } from '../../app/dailyCheck.js';
import type { Check, CheckStatus, RoleLiveness } from '../../app/operations.js';
import type { Config } from '../../config/index.js';
import type { Engine } from '../../main.js';
import { VERSION } from '../../main.js';
import { exitWith, type CliContext } from '../context.js';
import { CliFailure, EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { toJson } from '../output.js';
import { checklistLines } from '../checklist.js';
import { table } from '../table.js';
// escrow check --deploy (issue 15): begin
import { DEPLOY_CHECK_TIMEOUT_SECONDS, runDeployCheckCommand } from './deployCheck.js';
// escrow check --deploy: end

/** What /health answers (and `escrow health` prints). */
export interface HealthReport {
  status: CheckStatus;
  timestamp: string;
  version: string;
  uptime_seconds?: number;
  checks: Record<string, Check>;
  roles?: Record<string, RoleLiveness>;
}

export interface HealthBackend {
  health(): Promise<HealthReport>;
  /** The daily checklist (`escrow check`). */
  dailyCheck(): Promise<DailyCheckReport>;
}

type Run = <T>(run: (engine: Engine) => Promise<T>) => Promise<T>;

/** Opens the backend for one command (`withBackend`; a parameter, so the backend modules need not import this one). */
export type OpenHealthBackend = <T>(config: Config, run: (backend: HealthBackend) => Promise<T>) => Promise<T>;

/** This process's engine: the same checks as /health (the roles' liveness from every process's heartbeats). */
export const localHealthBackend = (withEngine: Run): HealthBackend => ({
  health: () =>
    withEngine(async (e) => ({
      ...(await e.operations.health()),
      timestamp: e.clock.now().toISOString(),
      version: VERSION,
    })),
  dailyCheck: () => withEngine((e) => e.operations.dailyCheck()),
});

type Call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => Promise<T>;

/** Through the embedded server: its /health (no token needed) and GET /api/admin/check. */
export const serverHealthBackend = (call: Call, base: string): HealthBackend => ({
  health: () => fetchHealth(base),
  dailyCheck: () => call('GET', '/api/admin/check'),
});

/** GET {base}/health: 200 and 503 both carry the report. */
export async function fetchHealth(base: string): Promise<HealthReport> {
  let res: Response;
  try {
    res = await fetch(new URL('/health', base), { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new CliFailure(`${base}/health does not answer (${why})`);
  }
  const text = await res.text();
  try {
    return JSON.parse(text) as HealthReport;
  } catch {
    throw new CliFailure(`${base}/health answered HTTP ${res.status} without a health report: ${text.slice(0, 200)}`);
  }
}

export function registerHealth(program: Command, ctx: CliContext, withBackend: OpenHealthBackend): void {
  const cmd = program
    .command('health')
    .description("every check of /health: database, outbox, timeouts, roles, Kafka, pause, rails' helpers")
    .option('--url <base>', "ask a running API's /health at this address instead (e.g. https://escrow.internal)")
    .addOption(new Option('--json', 'print the /health document as JSON on stdout instead of a table'));
  documented(cmd, {
    examples: ['escrow health', 'escrow health --url http://10.0.0.5:3000 --json | jq .checks'],
    output:
      'the status, then one line per check (name, status, latency, detail) and per role its live instances; with ' +
      '--json the /health document {status, timestamp, version, checks, roles}',
    failure: 'the status is error (what /health answers 503 for), or no answer',
    notes: ['degraded is exit 0: the table says what is degraded (docs/operations.md, "Health and metrics").'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ url?: string; json?: boolean }>();
      const report = o.url ? await fetchHealth(o.url) : await withBackend(ctx.config(), (backend) => backend.health());
      ctx.io.out(o.json ? toJson(report) : healthTable(report));
      return report.status === 'error' ? EXIT.failure : EXIT.ok;
    }),
  );
}

/** What `escrow health` prints for a person. */
export function healthTable(h: HealthReport): string {
  const head = `status: ${h.status} (version ${h.version}${h.uptime_seconds === undefined ? '' : `, up ${h.uptime_seconds} s`})`;
  const rows = Object.entries(h.checks).map(([name, c]) => [
    name,
    c.status,
    c.latency_ms === undefined ? '-' : `${c.latency_ms} ms`,
    c.detail ?? '',
  ]);
  const roles = Object.entries(h.roles ?? {}).map(
    ([role, l]) =>
      `  ${role}: ${l.alive ? `${l.instances.length} alive` : `none alive${l.last_seen ? ` (last seen ${l.last_seen})` : ''}`}`,
  );
  return `${[head, ...table(['CHECK', 'STATUS', 'LATENCY', 'DETAIL'], rows), ...(roles.length ? ['roles:', ...roles] : [])].join('\n')}\n`;
}

export function registerCheck(program: Command, ctx: CliContext, withBackend: OpenHealthBackend): void {
  const cmd = program
    .command('check')
    .description('the daily review checklist (seeds 000 and 003): each item pass, warn or fail, and what to run next')
    .addOption(new Option('--json', 'print {"ok", "counts", "items": [...], "last24h"} as JSON instead of a table'))
    // escrow check --deploy (issue 15): begin
    .addOption(
      new Option(
        '--deploy',
        "the deployment guide's checklist instead: database, migrations, Kafka topics, each rail's key and " +
          'webhooks, Redis, S3 (with --json: {"ok", "counts", "items": [...]})',
      ),
    )
    .addOption(
      new Option('--timeout <seconds>', 'with --deploy: how long each item waits for its service').default(
        DEPLOY_CHECK_TIMEOUT_SECONDS,
      ),
    );
  // escrow check --deploy: end
  documented(cmd, {
    examples: [
      'escrow check',
      'escrow check --json | jq \'.items[] | select(.status == "fail")\'',
      'escrow check --deploy   # before and after a deployment (docs/deployment.md)',
    ],
    output:
      'one line per item (STATUS, ITEM, VALUE) with the command to run next under each that is not a pass, the ' +
      'counts, and the last 24 h per currency; with --json the same as GET /api/admin/check',
    failure: 'any item failed, or the check could not run',
    notes: [
      'It runs escrow verify (every escrow): daily, not per minute. docs/operations.md, "Daily checks", says what',
      'each item means; the error rate and latency are Prometheus alerts (docs/monitoring.md).',
      '--deploy asks the services this configuration names (never a running server) and exits 1 on any failed item.',
    ],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const o = cmd.opts<{ json?: boolean; deploy?: boolean; timeout?: string }>();
      if (o.deploy) return runDeployCheckCommand(ctx, cmd, o); // escrow check --deploy (issue 15)
      const report = await withBackend(ctx.config(), (backend) => backend.dailyCheck());
      ctx.io.out(o.json ? toJson(report) : checkTable(report));
      return report.ok ? EXIT.ok : EXIT.failure;
    }),
  );
}

/** What `escrow check` prints for a person. */
export function checkTable(report: DailyCheckReport): string {
  const out = checklistLines(report);
  const day = report.last24h.map(
    (a) =>
      `  ${a.currency}: ${a.created} created, ${a.released} released (${String(a.releasedVolume)} minor), ` +
      `${a.refunded} refunded, ${a.disputed} disputed, ${a.cancelled} cancelled`,
  );
  out.push(day.length ? `last 24 h:\n${day.join('\n')}` : 'last 24 h: no escrows created');
  if (report.databaseBytes !== null) out.push(`database size: ${String(report.databaseBytes)} bytes`);
  return `${out.join('\n')}\n`;
}
