// Operational endpoints outside the Redfish tree: liveness and readiness. They carry no VM data,
// so they need no authentication (probes have none). Metrics have their own port
// (metrics-server.ts).
import type { FastifyInstance } from 'fastify';

export interface OperationalOptions {
  /** True when the config is loaded and every cache has synced. */
  readonly isReady: () => boolean;
  /** Why the service is not ready, one line each (e.g. the self-check's findings). */
  readonly notReadyReasons?: () => readonly string[];
  /** Facts listed by `/readyz?verbose` (kube-apiserver style), one `key: value` line each. */
  readonly detail?: () => Record<string, unknown>;
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
    if (options.isReady()) return reply.type('text/plain').send(`ready\n${extra}`);
    const reasons = (options.notReadyReasons?.() ?? []).map((r) => `- ${r}\n`).join('');
    return reply
      .code(503)
      .header('Retry-After', '5')
      .type('text/plain')
      .send(`not ready:\n${reasons || '- caches not synced\n'}${extra}`);
  });
};
