// Operational endpoints outside the Redfish tree: liveness, readiness and Prometheus metrics.
// They carry no VM data, so they need no authentication (probes and scrapers have none).
import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export interface OperationalOptions {
  /** True when the config is loaded and every cache has synced. */
  readonly isReady: () => boolean;
  /** Facts listed by `/readyz?verbose` (kube-apiserver style), one `key: value` line each. */
  readonly detail?: () => Record<string, unknown>;
  readonly metrics: Metrics;
}

const detailLines = (detail: Record<string, unknown>): string =>
  Object.entries(detail)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`)
    .join('');

export const registerOperationalRoutes = (app: FastifyInstance, options: OperationalOptions) => {
  app.get('/healthz', (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', (request, reply) => {
    const verbose = Object.hasOwn(request.query as object, 'verbose') && options.detail;
    const extra = verbose ? detailLines(options.detail()) : '';
    return options.isReady()
      ? reply.type('text/plain').send(`ready\n${extra}`)
      : reply
          .code(503)
          .header('Retry-After', '5')
          .type('text/plain')
          .send(`caches not synced\n${extra}`);
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
};
