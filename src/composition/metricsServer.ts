import { createServer } from 'node:http';
import type { OperationsSnapshot } from '../app/operations.js';
import type { Metrics } from '../observability/metrics.js';

export interface MetricsServerOptions {
  /** The database gauges, read on each scrape (the same snapshot the API's /metrics applies). */
  snapshot?: () => Promise<OperationsSnapshot>;
  warn?: (err: unknown, msg: string) => void;
  /** /health/ready: the database answers (what the API's /health/ready asks); without it only /metrics and /health/live. */
  ready?: () => Promise<{ status: string }>;
}

/**
 * Roles without the HTTP API still expose their own figures (publish delay, command durations, ...) and the same
 * database gauges as the API's /metrics (escrows, settlements, outbox, live instances per role) on /metrics, and the
 * API's probes: /health/live (the process answers) and /health/ready (its database answers), for orchestrators.
 */
export async function startMetricsServer(
  metrics: Metrics,
  port: number,
  host: string,
  opts: MetricsServerOptions = {},
): Promise<{ port: number; close: () => Promise<void> }> {
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const server = createServer((req, res) => {
    if (req.url === '/health/live') {
      res.writeHead(200, json).end('{"status":"ok"}');
      return;
    }
    if (req.url === '/health/ready' && opts.ready) {
      opts.ready().then(
        (db) => res.writeHead(db.status === 'ok' ? 200 : 503, json).end(JSON.stringify({ status: db.status })),
        () => res.writeHead(503, json).end('{"status":"error"}'),
      );
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.scrape(opts.snapshot, opts.warn).then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
