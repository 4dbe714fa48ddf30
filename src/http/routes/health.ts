import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

/** SPEC §8 health: `/health` (503 only on error), `/health/live`, `/health/ready`; `/metrics` for Prometheus. */
export function healthRoutes(app: Api, { deps, opts }: RouteDeps): void {
  const ops = deps.operations;
  const started = Date.now();
  // Probes and scrapers are exempt from the per-IP limit: a load balancer's checks share one address.
  const config = { rateLimit: false } as const;
  const doc = (summary: string, ok = 'healthy') => ({
    config,
    schema: {
      tags: ['operations'],
      summary,
      security: [],
      response: { 200: { ...S.HealthView, description: ok }, 503: { ...S.HealthView, description: 'unhealthy' } },
    },
  });

  app.get(
    '/health',
    doc('Health of the service and its dependencies (503 only when error)'),
    async (_request, reply) => {
      const { status, checks } = await ops.health();
      return reply.code(status === 'error' ? 503 : 200).send({
        status,
        timestamp: deps.clock.now().toISOString(),
        version: opts.version,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        checks,
      });
    },
  );

  app.get('/health/live', doc('Liveness: the process answers'), () => ({ status: 'ok' }));

  app.get('/health/ready', doc('Readiness: the database answers'), async (_request, reply) => {
    const db = await ops.database();
    return reply.code(db.status === 'ok' ? 200 : 503).send({ status: db.status, checks: { database: db } });
  });

  app.get(
    '/metrics',
    {
      config,
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
      const m = deps.metrics;
      const snapshot = await ops.snapshot();
      if (snapshot.kafkaLagError) request.log.warn({ err: snapshot.kafkaLagError }, 'kafka consumer lag unavailable');
      m.applySnapshot(snapshot);
      return reply.type(m.registry.contentType).send(await m.registry.metrics());
    },
  );
}
