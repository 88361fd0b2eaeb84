// Operational endpoints outside the Redfish tree: liveness and readiness. They carry no VM data,
// so they need no authentication (probes have none). Metrics have their own port
// (metrics-server.ts).
import type { FastifyInstance } from 'fastify';

export interface OperationalOptions {
  /** True when the config is loaded and every cache has synced. */
  readonly isReady: () => boolean;
  /** Why the service is not ready, one line each (e.g. the self-check's findings). */
  readonly notReadyReasons?: () => readonly string[];
}

export const registerOperationalRoutes = (app: FastifyInstance, options: OperationalOptions) => {
  app.get('/healthz', (_request, reply) => reply.type('text/plain').send('ok\n'));
  app.get('/readyz', (_request, reply) =>
    options.isReady()
      ? reply.type('text/plain').send('ready\n')
      : reply
          .code(503)
          .header('Retry-After', '5')
          .type('text/plain')
          .send(
            `not ready:\n${(options.notReadyReasons?.() ?? []).map((r) => `- ${r}\n`).join('') || '- caches not synced\n'}`,
          ),
  );
};
