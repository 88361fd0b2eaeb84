// Prometheus metrics on their own plain-HTTP port (server.metrics_port), not on the Redfish
// port: the Route that publishes the Redfish port must never publish the metrics, which need no
// authentication because scrapers have none.
import { createServer } from 'node:http';
import type { Metrics } from './metrics.ts';

export interface MetricsServer {
  /** The port actually bound (0 resolves to an ephemeral port). */
  readonly port: number;
  close(): Promise<void>;
}

export const startMetricsServer = async (options: {
  readonly host: string;
  readonly port: number;
  readonly metrics: Metrics;
}): Promise<MetricsServer> => {
  const { registry } = options.metrics;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
    } else if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
    } else {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) =>
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
