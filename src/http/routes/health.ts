import type { Api, RouteDeps } from '../app.js';
import * as S from '../schemas.js';

type Check = { status: 'ok' | 'degraded' | 'error'; latency_ms?: number; detail?: string };

/** SPEC §8 health: `/health` (503 only on error), `/health/live`, `/health/ready`; `/metrics` for Prometheus. */
export function healthRoutes(app: Api, { engine, opts }: RouteDeps): void {
  const started = Date.now();
  const doc = (summary: string, ok = 'healthy') => ({
    schema: {
      tags: ['operations'],
      summary,
      security: [],
      response: { 200: { ...S.HealthView, description: ok }, 503: { ...S.HealthView, description: 'unhealthy' } },
    },
  });

  async function database(): Promise<Check> {
    const t = performance.now();
    try {
      await engine.db.query('SELECT 1');
      return { status: 'ok', latency_ms: Math.round((performance.now() - t) * 100) / 100 };
    } catch (err) {
      return { status: 'error', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  app.get(
    '/health',
    doc('Health of the service and its dependencies (503 only when error)'),
    async (_request, reply) => {
      const db = await database();
      const checks: Record<string, Check> = { database: db };
      if (db.status === 'ok') {
        const o = await engine.outboxStore.stats();
        // Runbook thresholds: more than 100 waiting or the oldest older than 5 minutes is degraded.
        const degraded = o.unpublished > 100 || o.oldestAgeSeconds > 300;
        checks.outbox = {
          status: degraded ? 'degraded' : 'ok',
          detail: `${o.unpublished} unpublished, oldest ${Math.round(o.oldestAgeSeconds)} s, ${o.deadLetters} dead letters`,
        };
        const last = engine.lastTimeoutRun();
        checks.timeouts = last
          ? {
              status: Date.now() - last.getTime() > 3 * engine.config.timeouts.pollIntervalMs ? 'degraded' : 'ok',
              detail: `last run ${last.toISOString()}`,
            }
          : { status: 'ok', detail: 'not running in this process' };
      }
      if (engine.kafka) {
        const k = await engine.kafkaHealth();
        checks.kafka = {
          status: k.ok ? 'ok' : 'error',
          latency_ms: Math.round(k.latencyMs * 100) / 100,
          detail: k.detail,
        };
      }
      const statuses = Object.values(checks).map((c) => c.status);
      const status = statuses.includes('error') ? 'error' : statuses.includes('degraded') ? 'degraded' : 'ok';
      return reply.code(status === 'error' ? 503 : 200).send({
        status,
        timestamp: new Date().toISOString(),
        version: opts.version,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        checks,
      });
    },
  );

  app.get('/health/live', doc('Liveness: the process answers'), () => ({ status: 'ok' }));

  app.get('/health/ready', doc('Readiness: the database answers'), async (_request, reply) => {
    const db = await database();
    return reply.code(db.status === 'ok' ? 200 : 503).send({ status: db.status, checks: { database: db } });
  });

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (text exposition format)',
        security: [],
        produces: ['text/plain'],
        response: {
          200: {
            description: 'Prometheus text format',
            content: {
              'text/plain': {
                schema: {
                  type: 'string',
                  example: 'escrow_commands_total{command="CreateEscrow",outcome="applied"} 1',
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const m = engine.metrics;
      const [byStatus, settlements, outbox] = await Promise.all([
        engine.db.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM escrows GROUP BY status',
        ),
        engine.db.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM settlements GROUP BY status',
        ),
        engine.outboxStore.stats(),
      ]);
      m.escrows.reset();
      for (const r of byStatus.rows) m.escrows.set({ status: r.status }, r.n);
      m.settlements.reset();
      for (const r of settlements.rows) m.settlements.set({ status: r.status }, r.n);
      m.outboxUnpublished.set(outbox.unpublished);
      m.outboxOldestAge.set(outbox.oldestAgeSeconds);
      if (engine.kafka && engine.config.kafka) {
        const { commandsTopic } = engine.config.kafka;
        try {
          const lag = await engine.kafkaLag();
          m.kafkaConsumerLag.reset();
          for (const p of lag) m.kafkaConsumerLag.set({ topic: commandsTopic, partition: String(p.partition) }, p.lag);
        } catch (err) {
          request.log.warn({ err }, 'kafka consumer lag unavailable');
        }
      }
      const pool = engine.db.poolStats();
      m.dbPool.set({ state: 'total' }, pool.total);
      m.dbPool.set({ state: 'idle' }, pool.idle);
      m.dbPool.set({ state: 'waiting' }, pool.waiting);
      return reply.type(m.registry.contentType).send(await m.registry.metrics());
    },
  );
}
