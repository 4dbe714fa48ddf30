import type { DataDirHolder } from '../adapters/db/dataDirLock.js';
import { DataDirLockedError } from '../adapters/db/dataDirLock.js';
import type { Config } from '../config/index.js';
import { dataDirSecret, mintToken } from '../http/auth.js';
import type { WebhookSelection } from '../app/ports/index.js';
import type { FailedWebhook } from '../http/routes/webhookAdmin.js';
import type { Backend, Json, SuspensePageOptions } from './backend.js';
import { serverBlacklistBackend } from './commands/blacklist.js';
import { serverHealthBackend } from './commands/health.js';
import { serverPauseBackend } from './commands/pause.js';
import { serverOperatorBackend } from './commands/operatorBackend.js';
import { serverApprovalsBackend } from './commands/approvals.js';
import { serverReportBackend } from './commands/report.js';
import { serverTokenBackend } from './commands/tokens.js';
import { serverWebhookEndpointBackend } from './commands/webhookEndpoints.js';
import { CliFailure } from './exitCodes.js';

/** The HS256 secret tokens are signed with: JWT_SECRET, or the embedded data directory's own secret. */
export const signingSecret = (config: Config): string | null =>
  config.http.jwtSecret ?? (config.database.mode === 'pglite' ? dataDirSecret(config.database.dataDir) : null);

/**
 * The embedded server that holds the data directory, through its admin API at the address in the lock's holder
 * record, with a short-lived admin token the CLI mints from the same secret the server verifies.
 */
export async function serverBackend(config: Config, holder: DataDirHolder, sub: string): Promise<Backend> {
  const dataDir = config.database.mode === 'pglite' ? config.database.dataDir : '';
  if (!holder.url) {
    throw new CliFailure(
      `${new DataDirLockedError(dataDir, holder).message} It does not serve the API (yet), so this command cannot ` +
        'go through it: wait until it listens, or stop it, or start it with the api role.',
    );
  }
  const secret = signingSecret(config);
  if (!secret || config.http.jwksUrl) {
    throw new CliFailure(
      `the server (pid ${holder.pid}) holds ${dataDir} and verifies tokens with JWT_JWKS_URL: the CLI cannot mint ` +
        'a token for it. Run the command with the server stopped.',
    );
  }
  const { jwtIssuer: issuer, jwtAudience: audience } = config.http;
  const token = await mintToken(secret, { sub, role: 'admin' }, '5m', { issuer, audience });
  const call = callServer(holder.url, token, holder.pid);
  /** A 404 (no such suspense item, not a dead letter) is null: the command says so as it does locally. */
  const found = <T>(path: string, body: unknown) => call<T>('POST', path, body, { notFound: true });
  const suspense = (id: string, action: 'refund' | 'apply', body: Json) =>
    found<Json>(`/api/admin/suspense/${encodeURIComponent(id)}/${action}`, body);
  return {
    via: 'server',
    migrate: () => call('POST', '/api/admin/migrations', { reason: 'escrow migrate' }),
    migrationStatus: () => call('GET', '/api/admin/migrations'),
    sandboxPay: (target, opts) => call('POST', '/api/admin/sandbox/payments', { target, ...opts }),
    timeouts: (dryRun) => call('POST', '/api/admin/process-timeouts', { dryRun }),
    verify: () => call('GET', '/api/admin/verify'),
    outboxStatus: () => call('GET', '/api/admin/outbox'),
    deadLetters: (limit) => call('GET', `/api/admin/outbox/dead-letters?limit=${limit}`),
    replay: (what, reason, dryRun) => {
      const selection = 'allDead' in what ? { all: true } : 'ids' in what ? { ids: what.ids } : what;
      return call('POST', '/api/admin/outbox/replay', { ...selection, reason, dryRun });
    },
    outboxSkip: async (id, reason, dryRun) =>
      (await found(`/api/admin/outbox/${encodeURIComponent(id)}/skip`, { reason, dryRun })) ?? { skipped: false },
    suspenseList: (page) => call('GET', `/api/admin/suspense?${suspenseQuery(page)}`),
    suspenseRefund: (id, reason, dryRun) => suspense(id, 'refund', { reason, dryRun }),
    suspenseApply: ([id, ...also], reason, dryRun) =>
      suspense(id, 'apply', { reason, dryRun, ...(also.length > 0 ? { alsoApply: also } : {}) }),
    webhooksFailed: async (selection) =>
      (await call<{ items: FailedWebhook[] }>('GET', `/api/admin/webhooks/failed?${webhookQuery(selection)}`)).items,
    webhooksReprocess: (selection, reason, dryRun) =>
      call('POST', '/api/admin/webhooks/reprocess', { ...selection, reason, dryRun }),
    reconcile: ({ dryRun, windowHours, reason }) =>
      call('POST', '/api/admin/reconcile', { dryRun, reason, ...(windowHours === undefined ? {} : { windowHours }) }),
    disputes: ({ overdue, limit }) =>
      call(
        'GET',
        `/api/admin/disputes?${new URLSearchParams({ overdue: String(overdue), limit: String(limit) }).toString()}`,
      ),
    vaultRotate: ({ reason, dryRun }) => call('POST', '/api/admin/vault/rotate', { reason, dryRun }),
    ...serverBlacklistBackend(call),
    ...serverPauseBackend(call),
    ...serverOperatorBackend(call),
    ...serverApprovalsBackend(call),
    ...serverReportBackend(call),
    ...serverTokenBackend(call),
    ...serverWebhookEndpointBackend(call),
    ...serverHealthBackend(call, holder.url),
  };
}

function webhookQuery({ provider, since, limit }: WebhookSelection): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (provider) q.set('provider', provider);
  if (since) q.set('since', since);
  return q.toString();
}

interface Problem {
  code?: string;
  title?: string;
  detail?: string;
  errors?: { field?: string; message?: string }[];
}

function suspenseQuery({ filter, limit, cursor }: SuspensePageOptions): string {
  const q = new URLSearchParams({ ...filter, limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}

function callServer(base: string, token: string, pid: number) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  async function call<T>(method: 'POST', path: string, body: unknown, opts: { notFound: true }): Promise<T | null>;
  async function call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    opts?: { notFound: true },
  ): Promise<T | null> {
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new CliFailure(
        `the server holding the data directory (pid ${pid}) does not answer at ${base} (${why}); ` +
          'if it is shutting down, run the command again once it has stopped',
      );
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    if (res.status === 404 && opts?.notFound) return null;
    let problem: Problem = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // not problem+json: the status says it all
    }
    const hint =
      res.status === 401
        ? ' (the server verifies tokens with another secret: run the CLI with the JWT_SECRET the server has)'
        : '';
    const fields = (problem.errors ?? []).map((e) => `${e.field ?? '?'}: ${e.message ?? ''}`).join('; ');
    throw new CliFailure(
      `${problem.code ?? `HTTP ${res.status}`}: ${problem.detail ?? problem.title ?? text}${fields ? ` (${fields})` : ''} ` +
        `(from the server at ${base}, pid ${pid})${hint}`,
    );
  }
  return call;
}
