/** Public operational routes: liveness, readiness, Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { ERROR_BODY_SCHEMA, errorBody } from './error-handler.js';
import type { TapedeckMetrics } from './metrics.js';

const STATUS_SCHEMA = { type: 'object', properties: { status: { type: 'string' } } } as const;

export function registerSystemRoutes(
  app: FastifyInstance,
  metrics: TapedeckMetrics,
  isReady: () => boolean,
): void {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        summary: 'liveness: the process answers',
        tags: ['system'],
        response: { 200: STATUS_SCHEMA },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        summary: 'readiness: 200 while serving, 503 while starting or shutting down',
        tags: ['system'],
        response: { 200: STATUS_SCHEMA, 503: ERROR_BODY_SCHEMA },
      },
    },
    (_request, reply) =>
      isReady()
        ? { status: 'ready' }
        : reply.status(503).send(errorBody('UNAVAILABLE', 'not ready')),
  );
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['system'] },
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
