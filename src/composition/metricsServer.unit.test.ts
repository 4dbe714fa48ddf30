import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../observability/metrics.js';
import { startMetricsServer } from './metricsServer.js';

// A role without the API still answers an orchestrator's probes on METRICS_PORT (the Kubernetes manifests and the
// compose file probe /health/live and /health/ready there).

describe('the metrics server of roles without the API', () => {
  it('answers /metrics, /health/live, and /health/ready from its database check (503 when it fails)', async () => {
    let db: { status: string } | Error = { status: 'ok' };
    const server = await startMetricsServer(new Metrics(), 0, '127.0.0.1', {
      ready: () => (db instanceof Error ? Promise.reject(db) : Promise.resolve(db)),
    });
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return { status: res.status, text: await res.text() };
    };
    try {
      assert.equal((await get('/metrics')).status, 200);
      assert.deepEqual(await get('/health/live'), { status: 200, text: '{"status":"ok"}' });
      assert.deepEqual(await get('/health/ready'), { status: 200, text: '{"status":"ok"}' });
      db = { status: 'error' };
      assert.deepEqual(await get('/health/ready'), { status: 503, text: '{"status":"error"}' });
      db = new Error('connection refused');
      assert.deepEqual(await get('/health/ready'), { status: 503, text: '{"status":"error"}' });
      assert.equal((await get('/other')).status, 404);
    } finally {
      await server.close();
    }
  });

  it('without a readiness check, /health/ready is not served', async () => {
    const server = await startMetricsServer(new Metrics(), 0, '127.0.0.1');
    try {
      assert.equal((await fetch(`http://127.0.0.1:${server.port}/health/ready`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
