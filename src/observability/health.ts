// Operational endpoints outside the Redfish tree: liveness, readiness and Prometheus metrics.
// They carry no VM data, so they need no authentication (probes and scrapers have none).
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export interface OperationalOptions {
  /** True when the config is loaded and every cache has synced. */
  readonly isReady: () => boolean;
  readonly metrics: Metrics;
}

export const registerOperationalRoutes = (app: FastifyInstance, options: OperationalOptions) => {
  app.get('/healthz', (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', (_request, reply) =>
    options.isReady()
      ? reply.type('text/plain').send('ready\n')
      : reply.code(503).header('Retry-After', '5').type('text/plain').send('caches not synced\n'),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
};
