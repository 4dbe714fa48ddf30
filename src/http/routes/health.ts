import { Type, type TObject } from 'typebox';
import type { Api, RouteDeps } from '../types.js';
import * as S from '../schemas.js';

const RoleInstance = Type.Object({
  instance_id: Type.String(),
  host: Type.String(),
  pid: Type.Integer(),
  version: Type.String(),
  started_at: Type.String(),
  last_seen: Type.String(),
  here: Type.Boolean({ description: 'this very process' }),
});
const RoleLiveness = Type.Object({
  alive: Type.Boolean(),
  instances: Type.Array(RoleInstance),
  last_seen: Type.Optional(Type.String({ description: 'when none is alive: when one was last seen' })),
});

/** /health with `roles`: per role, whether an instance is alive anywhere (heartbeats) and which. */
const HealthWithRoles = Type.Object(
  {
    ...S.HealthView.properties,
    roles: Type.Optional(
      Type.Record(Type.String(), RoleLiveness, {
        description: 'per role (api, worker, settlements, timeouts, outbox): the instances alive in any process',
      }),
    ),
  },
  {
    examples: [
      {
        status: 'degraded',
        timestamp: '2026-11-23T10:00:00.000Z',
        version: '0.1.0',
        uptime_seconds: 42,
        checks: {
          database: { status: 'ok', latency_ms: 0.8 },
          files: { status: 'ok', detail: 'S3: answering' },
          timeouts: { status: 'ok', detail: 'alive: worker-7c9f pid 41 (instance 0190f0c8-…, 0.1.0)' },
          roles: { status: 'degraded', detail: 'no live settlements instance (none seen in the last 10 s) …' },
          pause: {
            status: 'degraded',
            detail:
              'payouts paused since 2026-11-23T09:55:00.000Z by ops-alice (admin): RB-05 suspected exploit, INC-2211 ' +
              '(settlements and the timeouts that move money are held); lift with escrow resume --reason "…"',
          },
        },
        roles: {
          timeouts: {
            alive: true,
            instances: [
              {
                instance_id: '0190f0c8-0000-7000-8000-0000000000aa',
                host: 'worker-7c9f',
                pid: 41,
                version: '0.1.0',
                started_at: '2026-11-23T09:00:00.000Z',
                last_seen: '2026-11-23T10:00:00.000Z',
                here: false,
              },
            ],
          },
          settlements: { alive: false, instances: [], last_seen: '2026-11-23T09:58:12.000Z' },
        },
      },
    ],
  },
);

/** SPEC §8 health: `/health` (503 only on error), `/health/live`, `/health/ready`; `/metrics` for Prometheus. */
export function healthRoutes(app: Api, { deps, opts }: RouteDeps): void {
  const ops = deps.operations;
  const started = Date.now();
  // Probes and scrapers are exempt from the per-IP limit: a load balancer's checks share one address.
  const config = { rateLimit: false } as const;
  const doc = (summary: string, ok = 'healthy', view: TObject = S.HealthView) => ({
    config,
    schema: {
      tags: ['operations'],
      summary,
      security: [],
      response: { 200: { ...view, description: ok }, 503: { ...view, description: 'unhealthy' } },
    },
  });

  app.get(
    '/health',
    doc(
      'Health of the service, its dependencies and every role anywhere (503 only when error)',
      'healthy',
      HealthWithRoles,
    ),
    async (_request, reply) => {
      const { status, checks, roles } = await ops.health();
      return reply.code(status === 'error' ? 503 : 200).send({
        status,
        timestamp: deps.clock.now().toISOString(),
        version: opts.version,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
        checks,
        ...(roles ? { roles } : {}),
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
      const text = await m.scrape(
        () => ops.snapshot(),
        (err, msg) => request.log.warn({ err }, msg),
      );
      return reply.type(m.registry.contentType).send(text);
    },
  );
}
