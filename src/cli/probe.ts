/**
 * The container's health check (Dockerfile HEALTHCHECK): asks this container's own process whether it is ready —
 * the api role on PORT, every other role on METRICS_PORT — and exits 0 (healthy) or 1. `--live` asks /health/live.
 * Deliberately tiny: no configuration parsing, no engine; it runs every few seconds.
 */
const path = process.argv.includes('--live') ? '/health/live' : '/health/ready';
const bound = process.env.HOST;
const host = !bound || bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound.includes(':') ? `[${bound}]` : bound;
// a role without the API answers on METRICS_PORT; the api (which opens no METRICS_PORT) on PORT
const ports = [process.env.METRICS_PORT, process.env.PORT || '3000'].filter((p): p is string => Boolean(p));

async function answers(port: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(4000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

let healthy = false;
for (const port of new Set(ports)) {
  if (await answers(port)) {
    healthy = true;
    break;
  }
}
process.exit(healthy ? 0 : 1);
